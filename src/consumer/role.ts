/**
 * Attaches the consumer loop to a worker endpoint: waits for "start",
 * runs until the stream ends, it is idle, or "stop"; reports; never exits.
 *
 * @module
 */
import {
  type Endpoint,
  type PortEnd,
  post,
  serveRole,
} from "../transport/port.ts";
import { createChannelSource, type Port } from "../transport/channel.ts";
import { createSourceRelay } from "../kafka/relay_source.ts";
import type { FetchMessage } from "../protocol.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
} from "../warehouse/fs.ts";
import { type Clock, type Source, SYSTEM_CLOCK } from "../ports.ts";
import { runConsumer } from "./run.ts";
import { compactDay } from "../warehouse/compact.ts";

/** What the consumer worker needs from the outside (injected for tests). */
export interface ConsumerDeps {
  clock?: Clock;
}

/** Serves the consumer on `endpoint`; registers the listener synchronously. */
export function serveConsumer(endpoint: Endpoint, deps: ConsumerDeps): void {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  serveRole(endpoint, "consumer", async ({ config, port }, signal, drain) => {
    let source: Source | undefined;
    try {
      if (!port) throw new Error("No transport: the consumer needs a port");
      // With Kafka the port leads to the fetcher worker; without, to the
      // generator (the embedded transport).
      source = config.kafka
        ? createSourceRelay(port as unknown as PortEnd<FetchMessage>)
        : createChannelSource(port as unknown as Port, config.topic);
      post(endpoint, { type: "ready", role: "consumer" });
      const table = `${config.sink.warehouse}/${config.topic}`;
      const stats = await runConsumer({
        topic: config.topic,
        settings: config.sink,
        source,
        warehouse: createFsWarehouse(config.sink.warehouse, config.topic, {
          compact: (date, partitions) =>
            compactDay(table, date, partitions, {
              compression: config.sink.compression,
            }),
        }),
        store: createJsonCheckpointStore(config.sink.checkpoint),
        clock,
        signal,
        drain,
        ...(config.kafka
          ? { retryTimeoutMs: config.kafka.retryTimeoutMs }
          : {}),
        report: (stats) =>
          post(endpoint, { type: "progress", role: "consumer", stats }),
        log: (message) =>
          post(endpoint, {
            type: "log",
            role: "consumer",
            level: "info",
            message,
          }),
      });
      await source.close();
      return stats;
    } catch (error) {
      await source?.close().catch(() => {});
      throw error;
    }
  });
}

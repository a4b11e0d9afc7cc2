/**
 * Attaches the consumer loop to a worker endpoint: waits for "start",
 * runs until the stream ends, it is idle, or "stop"; reports; never exits.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { type Endpoint, post } from "../endpoint.ts";
import { createChannelSource, type Port } from "../adapters/channel.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
} from "../adapters/fs.ts";
import { type Clock, type Source, SYSTEM_CLOCK } from "../ports.ts";
import { type Command, toWireError } from "../protocol.ts";
import { runConsumer } from "./run.ts";
import { compactDay } from "./compact.ts";

/** What the consumer worker needs from the outside (injected for tests). */
export interface ConsumerDeps {
  clock?: Clock;
  /** Opens a Kafka source. */
  connectSource?: (
    config: Config,
    secret: string | undefined,
  ) => Promise<Source>;
}

/** Serves the consumer on `endpoint`; registers the listener synchronously. */
export function serveConsumer(endpoint: Endpoint, deps: ConsumerDeps): void {
  const abort = new AbortController();
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const onMessage = (event: MessageEvent) => {
    const command = event.data as Command;
    switch (command.type) {
      case "start":
        void start(command.config, command.port, command.secret);
        break;
      case "stop":
        abort.abort();
        break;
      default: {
        const never: never = command;
        void never;
      }
    }
  };
  endpoint.addEventListener("message", onMessage);

  async function start(config: Config, port?: MessagePort, secret?: string) {
    let source: Source | undefined;
    try {
      source = port
        ? createChannelSource(port as unknown as Port, config.topic)
        : deps.connectSource
        ? await deps.connectSource(config, secret)
        : undefined;
      if (!source) {
        throw new Error("No transport: neither a channel nor Kafka was given");
      }
      post(endpoint, { type: "ready", role: "consumer" });
      const stats = await runConsumer({
        topic: config.topic,
        settings: config.sink,
        source,
        warehouse: createFsWarehouse(config.sink.warehouse, config.topic, {
          compact: (date, partitions) =>
            compactDay(
              `${config.sink.warehouse}/${config.topic}`,
              date,
              partitions,
              {
                compression: config.sink.compression,
              },
            ),
        }),
        store: createJsonCheckpointStore(config.sink.checkpoint),
        clock,
        signal: abort.signal,
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
      post(endpoint, { type: "stopped", role: "consumer", stats });
    } catch (error) {
      await source?.close().catch(() => {});
      post(endpoint, {
        type: "failed",
        role: "consumer",
        error: toWireError(error),
      });
    } finally {
      endpoint.removeEventListener("message", onMessage);
    }
  }
}

/**
 * Attaches the consumer loop to a worker endpoint: waits for "start",
 * runs until the stream ends, it is idle, or "stop"; reports; never exits.
 *
 * @module
 */
import { type Port, post, serveRole } from "../transport/port.ts";
import type { PipelineConfig } from "../config.ts";
import {
  type CheckpointStore,
  type Clock,
  type Source,
  SYSTEM_CLOCK,
  type Warehouse,
} from "../ports.ts";
import type { Report } from "../protocol.ts";
import { runConsumer } from "./run.ts";
import { registerEventTypes } from "../model/event.ts";
import { extraTypesOf } from "../world/event_types.ts";
import { streamFingerprint } from "../generator/fingerprint.ts";
import { AudienceTally } from "../live/tally.ts";

/** What the consumer worker needs from the outside (built by its entry point). */
export interface ConsumerDeps {
  clock?: Clock;
  /** Opens the transport on the port main handed over. */
  openSource: (config: PipelineConfig, port: MessagePort) => Source;
  /** Opens the warehouse the table is written to. */
  openWarehouse: (config: PipelineConfig) => Warehouse;
  /** Opens the checkpoint store. */
  openStore: (config: PipelineConfig) => CheckpointStore;
}

/** Serves the consumer on `endpoint`; registers the listener synchronously. */
export function serveConsumer(
  endpoint: Port<Report>,
  deps: ConsumerDeps,
): void {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  serveRole(endpoint, "consumer", async ({ config, port }, signal, drain) => {
    let source: Source | undefined;
    try {
      if (!port) throw new Error("No transport: the consumer needs a port");
      // The scenario's own event types are accepted, and become columns.
      registerEventTypes(extraTypesOf(config.generator.world));
      source = deps.openSource(config, port);
      post(endpoint, { type: "ready", role: "consumer" });
      const stats = await runConsumer({
        topic: config.topic,
        settings: config.sink,
        source,
        warehouse: deps.openWarehouse(config),
        store: deps.openStore(config),
        clock,
        signal,
        drain,
        ...(config.kafka
          ? { retryTimeoutMs: config.kafka.retryTimeoutMs }
          : {}),
        ...(config.http ? { tally: new AudienceTally() } : {}),
        ...(config.kafka ? {} : {
          stream: streamFingerprint(config.topic, config.generator),
        }),
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

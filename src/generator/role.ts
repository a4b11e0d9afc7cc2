/**
 * Attaches the generator loop to a worker endpoint: waits for "start",
 * runs until done or "stop", reports, and never exits the process.
 *
 * @module
 */
import { type Endpoint, post, serveRole } from "../transport/port.ts";
import { createChannelSink, type Port } from "../transport/channel.ts";
import { createRelaySink, type RelayPort } from "../kafka/relay_sink.ts";
import type { Position } from "../model/simulator.ts";
import { type Clock, type Sink, SYSTEM_CLOCK } from "../ports.ts";
import { runGenerator } from "./run.ts";

/** What the generator worker needs from the outside (injected for tests). */
export interface GeneratorDeps {
  clock?: Clock;
  /** Builds the advertiser catalog. */
  advertisers: () => readonly string[];
}

/** Serves the generator on `endpoint`; registers the listener synchronously. */
export function serveGenerator(endpoint: Endpoint, deps: GeneratorDeps): void {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  serveRole(endpoint, "generator", async ({ config, port }, signal) => {
    let sink: Sink | undefined;
    try {
      if (!port) {
        throw new Error("No transport: the generator needs a port");
      }
      // With Kafka the port leads to the producer worker (which acknowledges
      // and saves positions); without, to the consumer (the embedded
      // transport).
      const channel: {
        sink: Sink;
        subscribed: Promise<Position | undefined>;
        onAck?: (p: Position) => void;
      } = config.kafka
        ? createRelaySink(port as unknown as RelayPort)
        : createChannelSink(port as unknown as Port, signal);
      sink = channel.sink;
      const onAck = channel.onAck;
      post(endpoint, { type: "ready", role: "generator" });
      const resume = await Promise.race([
        channel.subscribed,
        new Promise<undefined>((r) =>
          signal.addEventListener("abort", () => r(undefined))
        ),
      ]);
      const stats = await runGenerator({
        settings: config.generator,
        advertisers: deps.advertisers(),
        sink,
        clock,
        signal,
        ...(resume ? { resume } : {}),
        ...(onAck ? { onAck } : {}),
        report: (stats) =>
          post(endpoint, { type: "progress", role: "generator", stats }),
        log: (message) =>
          post(endpoint, {
            type: "log",
            role: "generator",
            level: "info",
            message,
          }),
      });
      await sink.close(
        stats.windowEndMs !== undefined
          ? { until: stats.windowEndMs }
          : undefined,
      );
      return stats;
    } catch (error) {
      await sink?.close().catch(() => {});
      throw error;
    }
  });
}

/**
 * Attaches the generator loop to a worker endpoint: waits for "start",
 * runs until done or "stop", reports, and never exits the process.
 *
 * @module
 */
import { type Endpoint, post, serveRole } from "../endpoint.ts";
import { createChannelSink, type Port } from "../adapters/channel.ts";
import type { Position } from "../core/simulator.ts";
import { type Clock, type Sink, SYSTEM_CLOCK } from "../ports.ts";
import type { Config } from "../config.ts";
import { runGenerator } from "./run.ts";

/** What the generator worker needs from the outside (injected for tests). */
export interface GeneratorDeps {
  clock?: Clock;
  /** Builds the advertiser catalog. */
  advertisers: () => readonly string[];
  /** Opens a Kafka sink and the producer's resume position. */
  connectSink?: (
    config: Config,
    secret: string | undefined,
  ) => Promise<{
    sink: Sink;
    resume?: Position;
    onAck: (p: Position) => Promise<void>;
  }>;
}

/** Serves the generator on `endpoint`; registers the listener synchronously. */
export function serveGenerator(endpoint: Endpoint, deps: GeneratorDeps): void {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  serveRole(endpoint, "generator", async ({ config, port, secret }, signal) => {
    let sink: Sink | undefined;
    try {
      let resume: Position | undefined;
      let onAck: ((p: Position) => Promise<void>) | undefined;
      if (port) {
        const channel = createChannelSink(port as unknown as Port);
        sink = channel.sink;
        post(endpoint, { type: "ready", role: "generator" });
        resume = await Promise.race([
          channel.subscribed,
          new Promise<undefined>((r) =>
            signal.addEventListener("abort", () => r(undefined))
          ),
        ]);
      } else if (deps.connectSink) {
        const connected = await deps.connectSink(config, secret);
        sink = connected.sink;
        resume = connected.resume;
        onAck = connected.onAck;
        post(endpoint, { type: "ready", role: "generator" });
      } else {
        throw new Error("No transport: neither a channel nor Kafka was given");
      }
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

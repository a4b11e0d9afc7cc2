/**
 * Attaches the generator loop to a worker endpoint: waits for "start",
 * runs until done or "stop", reports, and never exits the process.
 *
 * @module
 */
import { type Port, post, serveRole } from "../transport/port.ts";
import type { PipelineConfig } from "../config.ts";
import type { Position } from "../model/simulator.ts";
import { type Clock, type Sink, SYSTEM_CLOCK } from "../ports.ts";
import type { Report } from "../protocol.ts";
import { AudienceTally } from "../live/tally.ts";
import { runGenerator } from "./run.ts";

/** Where the generator writes, as its transport opens it. */
export interface SinkChannel {
  sink: Sink;
  /** Where a restarted stream resumes, once the other end says. */
  subscribed: Promise<Position | undefined>;
  /** Passes an acknowledged position on to be saved (the Kafka relay). */
  onAck?: (position: Position) => void;
}

/** What the generator worker needs from the outside (built by its entry point). */
export interface GeneratorDeps {
  clock?: Clock;
  /** Builds the advertiser catalog. */
  advertisers: () => readonly string[];
  /** Opens the transport on the port main handed over. */
  openSink: (
    config: PipelineConfig,
    port: MessagePort,
    signal: AbortSignal,
  ) => SinkChannel;
}

/** Serves the generator on `endpoint`; registers the listener synchronously. */
export function serveGenerator(
  endpoint: Port<Report>,
  deps: GeneratorDeps,
): void {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  serveRole(
    endpoint,
    "generator",
    async ({ config, port }, signal, _drain, incidents) => {
      let sink: Sink | undefined;
      try {
        if (!port) throw new Error("No transport: the generator needs a port");
        const channel = deps.openSink(config, port, signal);
        sink = channel.sink;
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
          ...(channel.onAck ? { onAck: channel.onAck } : {}),
          // With no consumer in the pipeline, the live view's audience
          // figures come from the stream as it is generated.
          ...(config.http && config.command === "produce"
            ? { tally: new AudienceTally() }
            : {}),
          incidents,
          onIncident: (incident) =>
            post(endpoint, { type: "incident", role: "generator", incident }),
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
    },
  );
}

/**
 * Attaches the producer to a worker endpoint: on "start" it connects to
 * Kafka and sends what the generator relays over the port, until the
 * generator ends the stream (or "stop"); reports; never exits.
 *
 * @module
 */
import { type Port, post, serveRole, untilAborted } from "../transport/port.ts";
import type { Connect } from "./client.ts";
import { type RelayTarget, serveRelay } from "./relay_sink.ts";
import { type Clock, SYSTEM_CLOCK } from "../ports.ts";
import { emptyStats, type Report } from "../protocol.ts";

/** What the producer worker needs from the outside (injected for tests). */
export interface ProducerDeps {
  clock?: Clock;
  /** Opens a Kafka sink and the position a restarted stream resumes from. */
  connectSink: Connect<RelayTarget>;
}

/** Serves the producer on `endpoint`; registers the listener synchronously. */
export function serveProducer(
  endpoint: Port<Report>,
  deps: ProducerDeps,
): void {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  serveRole(endpoint, "producer", async ({ config, port, secret }, signal) => {
    if (!port) throw new Error("No relay port: the producer needs one");
    // A stop while still reaching Kafka (brokers down, a wrong address)
    // ends the role at once: there is nothing to flush yet.
    const target = await untilAborted(
      deps.connectSink(
        config,
        secret,
        (message) =>
          post(endpoint, {
            type: "log",
            role: "producer",
            level: "warn",
            message,
          }),
        (error) => post(endpoint, { type: "retry", role: "producer", error }),
      ),
      signal,
    );
    const stats = emptyStats();
    if (!target) return stats;
    try {
      post(endpoint, { type: "ready", role: "producer" });
      await serveRelay(
        port,
        target,
        signal,
        (count) => {
          if (stats.activeFrom === 0) stats.activeFrom = clock.now();
          stats.produced += count;
          stats.activeMs = clock.now() - stats.activeFrom;
        },
      );
    } finally {
      // Saves the last acknowledged position and disconnects.
      await target.sink.close();
    }
    const ends = target.sink.endOffsets?.();
    if (ends) stats.endOffsets = ends;
    const starts = target.sink.startOffsets?.();
    if (starts) stats.startOffsets = starts;
    return stats;
  });
}

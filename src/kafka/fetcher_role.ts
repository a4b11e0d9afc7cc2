/**
 * Attaches the fetcher to a worker endpoint: on "start" it connects the
 * Kafka consumer and relays what it delivers to the consumer worker over the
 * port, until the consumer closes the relay (or "stop"); never exits.
 *
 * @module
 */
import { type Port, post, serveRole, untilAborted } from "../transport/port.ts";
import type { Connect } from "./client.ts";
import { serveSourceRelay } from "./relay_source.ts";
import type { Source } from "../ports.ts";
import {
  emptyStats,
  type FetchReply,
  type Report,
  toWireError,
} from "../protocol.ts";

/** What the fetcher worker needs from the outside (injected for tests). */
export interface FetcherDeps {
  /** Opens a Kafka source. */
  connectSource: Connect<Source>;
}

/** Serves the fetcher on `endpoint`; registers the listener synchronously. */
export function serveFetcher(
  endpoint: Port<Report>,
  deps: FetcherDeps,
): void {
  serveRole(endpoint, "fetcher", async ({ config, port, secret }, signal) => {
    if (!port) throw new Error("No relay port: the fetcher needs one");
    const relay: Port<FetchReply> = port;
    const stats = emptyStats();
    let source: Source | undefined;
    try {
      source = await untilAborted(
        deps.connectSource(
          config,
          secret,
          (message) =>
            post(endpoint, {
              type: "log",
              role: "fetcher",
              level: "warn",
              message,
            }),
          (error) => post(endpoint, { type: "retry", role: "fetcher", error }),
        ),
        signal,
      );
    } catch (error) {
      // The consumer is waiting on the relay: tell it, so it fails too.
      // (Once serving, the relay passes on failures itself.)
      relay.postMessage({ type: "failed", error: toWireError(error) });
      throw error;
    }
    if (!source) {
      endBeforeConnecting(relay);
      return stats;
    }
    post(endpoint, { type: "ready", role: "fetcher" });
    await serveSourceRelay(relay, source, signal, (records) => {
      stats.events += records;
    });
    return stats;
  });
}

/**
 * Stopped before Kafka was reached: the consumer's stream ends, and its
 * calls (its close) are answered, with nothing to seek, commit or close.
 */
function endBeforeConnecting(relay: Port<FetchReply>): void {
  relay.addEventListener("message", (e: MessageEvent) => {
    const m = e.data as { id?: number };
    if (typeof m.id === "number") {
      relay.postMessage({ type: "reply", id: m.id });
    }
  });
  relay.start?.();
  relay.postMessage({ type: "end" });
}

/**
 * A sampler worker's loop: generates one shard of `sample`'s stream as
 * chunks of UTF-8 lines, a few chunks ahead of the merge and no more.
 *
 * @module
 */
import { type Port, Wakeup } from "../transport/port.ts";
import {
  type LineChunk,
  type SamplerCommand,
  type SamplerReport,
  toWireError,
} from "../protocol.ts";
import { Utf8Lines } from "../kafka/lines.ts";
import { buffersOf, readChunk } from "./line_chunks.ts";
import { windowSimulator } from "./window_sim.ts";

/** Chunks a worker may send before the merge has used any. */
export const CHUNKS_AHEAD = 3;

/** Serves a sampler on `endpoint`; registers the listener synchronously. */
export function serveSampler(
  endpoint: Port<SamplerReport>,
  advertisers: () => readonly string[],
): void {
  let credits = CHUNKS_AHEAD;
  const credited = new Wakeup();
  /** Chunks the merge sent back, to be filled again. */
  const spares: LineChunk[] = [];
  endpoint.addEventListener("message", (e: MessageEvent) => {
    const command = e.data as SamplerCommand;
    if (command.type === "sample") void sample(command);
    else {
      if (command.spent) spares.push(command.spent);
      credits++;
      credited.wake();
    }
  });

  async function sample(c: Extract<SamplerCommand, { type: "sample" }>) {
    try {
      const sim = windowSimulator(
        c.settings,
        c.fromMs,
        c.settings.toMs,
        c.fromMs,
        advertisers(),
        c.shard,
      );
      const lines = new Utf8Lines();
      for (let left = c.limit; left > 0;) {
        await credited.until(() => credits > 0);
        const want = Math.min(c.chunkEvents, left);
        const chunk = readChunk(sim, want, lines, spares.pop());
        if (!chunk) break;
        credits--;
        left -= chunk.count;
        endpoint.postMessage({ type: "chunk", chunk }, buffersOf(chunk));
        if (chunk.count < want) break;
      }
      endpoint.postMessage({ type: "end" });
    } catch (error) {
      endpoint.postMessage({ type: "failed", error: toWireError(error) });
    }
  }
}

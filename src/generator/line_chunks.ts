/**
 * A stream split into shards and put back together: each shard's events
 * are read into chunks of UTF-8 lines with their sort keys, and the chunks
 * of all shards are merged back into the one stream, in its order.
 *
 * @module
 */
import type { Simulator } from "../model/simulator.ts";
import type { Utf8Lines } from "../kafka/lines.ts";
import type { LineChunk } from "../protocol.ts";

/**
 * Reads up to `max` events of `sim` into a chunk, in the arrays of `spare`
 * (a chunk the merge is done with) where they are big enough; undefined
 * once the stream has no more. `lines` goes on in the spare's bytes.
 */
export function readChunk(
  sim: Simulator,
  max: number,
  lines: Utf8Lines,
  spare?: LineChunk,
): LineChunk | undefined {
  const fits = spare !== undefined && spare.ends.length >= max;
  const ends = fits ? spare.ends : new Uint32Array(max);
  const t = fits ? spare.t : new Float64Array(max);
  const ord = fits ? spare.ord : new Float64Array(max);
  let count = 0;
  lines.clear();
  for (; count < max; count++) {
    const r = sim.nextRecord();
    if (!r) break;
    lines.pushEvent(r);
    ends[count] = lines.size;
    t[count] = r.t;
    ord[count] = r.ord;
  }
  if (count === 0) return undefined;
  const next = spare ? new Uint8Array(spare.bytes.buffer) : undefined;
  return { bytes: lines.swap(next), ends, t, ord, count };
}

/** The buffers of a chunk, to transfer it. */
export function buffersOf(chunk: LineChunk): ArrayBuffer[] {
  return [
    chunk.bytes.buffer,
    chunk.ends.buffer,
    chunk.t.buffer,
    chunk.ord.buffer,
  ];
}

/**
 * The shards' chunks, merged by (time, session arrival order): each shard
 * holds every event of its own sessions, in the stream's order, and no two
 * sessions share an arrival order, so the merge is the unsharded stream.
 */
export class ChunkMerge {
  readonly #queues: LineChunk[][];
  readonly #ended: boolean[];
  /** The next line of each shard's first chunk. */
  readonly #at: number[];
  /** Shards with no chunk at hand that have not ended. */
  #missing: number;

  /** Starts a merge of `shards` shards, each yet to send anything. */
  constructor(shards: number) {
    this.#queues = Array.from({ length: shards }, () => []);
    this.#ended = new Array(shards).fill(false);
    this.#at = new Array(shards).fill(0);
    this.#missing = shards;
  }

  /** Takes a shard's next chunk. */
  add(shard: number, chunk: LineChunk): void {
    const queue = this.#queues[shard]!;
    if (queue.length === 0) this.#missing--;
    queue.push(chunk);
  }

  /** Notes that a shard sent its last chunk. */
  end(shard: number): void {
    if (this.#queues[shard]!.length === 0) this.#missing--;
    this.#ended[shard] = true;
  }

  /** Whether the next event can be chosen: every shard has a chunk or has ended. */
  ready(): boolean {
    return this.#missing === 0;
  }

  /** Whether every event of every shard has been merged. */
  done(): boolean {
    return this.#queues.every((q, i) => q.length === 0 && this.#ended[i]);
  }

  /**
   * Appends events in stream order to `out`, at most `max`, while the next
   * can be chosen; calls `used(shard, chunk)` as each chunk is used up (its
   * buffers may then go back to the shard). Returns the number appended.
   */
  drain(
    out: Utf8Lines,
    max: number,
    used: (shard: number, chunk: LineChunk) => void,
  ): number {
    let n = 0;
    while (n < max && this.#missing === 0) {
      const copied = this.#copyRun(out, max - n, used);
      if (copied === 0) break;
      n += copied;
    }
    return n;
  }

  /**
   * Copies the lines that come next in the stream, all from one shard: up
   * to `max`, within its first chunk, as long as they precede every other
   * shard's next line. Returns the number copied (0: every shard ended).
   */
  #copyRun(
    out: Utf8Lines,
    max: number,
    used: (shard: number, chunk: LineChunk) => void,
  ): number {
    const queues = this.#queues;
    const at = this.#at;
    // The shard with the earliest next line, and the next line after it
    // (the earliest of the others'), which bounds the run.
    let best = -1;
    let bestT = Infinity;
    let bestOrd = Infinity;
    let limitT = Infinity;
    let limitOrd = Infinity;
    for (let i = 0; i < queues.length; i++) {
      const c = queues[i]![0];
      if (c === undefined) continue;
      const t = c.t[at[i]!]!;
      const ord = c.ord[at[i]!]!;
      if (t < bestT || (t === bestT && ord < bestOrd)) {
        limitT = bestT;
        limitOrd = bestOrd;
        best = i;
        bestT = t;
        bestOrd = ord;
      } else if (t < limitT || (t === limitT && ord < limitOrd)) {
        limitT = t;
        limitOrd = ord;
      }
    }
    if (best < 0) return 0;
    const c = queues[best]![0]!;
    const start = at[best]!;
    let end = start + 1;
    while (
      end < c.count && end - start < max &&
      (c.t[end]! < limitT || (c.t[end] === limitT && c.ord[end]! < limitOrd))
    ) end++;
    const from = start === 0 ? 0 : c.ends[start - 1]!;
    out.pushLines(c.bytes.subarray(from, c.ends[end - 1]!));
    if (end === c.count) {
      queues[best]!.shift();
      at[best] = 0;
      if (queues[best]!.length === 0 && !this.#ended[best]) this.#missing++;
      used(best, c);
    } else at[best] = end;
    return end - start;
  }
}

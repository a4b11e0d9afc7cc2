/**
 * `sample` on several threads: one sampler worker per shard of the
 * households, their chunks merged back here into the one stream, in its
 * order, byte for byte what a single thread writes.
 *
 * @module
 */
import type { GeneratorSettings } from "../config.ts";
import { Wakeup } from "../transport/port.ts";
import {
  fromWireError,
  type LineChunk,
  type SamplerCommand,
  type SamplerReport,
} from "../protocol.ts";
import { LineWriter } from "../kafka/lines.ts";
import { buffersOf, ChunkMerge } from "./line_chunks.ts";

/** The sampler worker; a static URL, so that `deno compile` embeds it. */
const SAMPLER = new URL("../../workers/sampler.ts", import.meta.url);

/** Events per chunk: a few MB of text, few enough messages. */
const CHUNK_EVENTS = 8_192;

/** What a sharded sample writes. */
export interface ShardedSample {
  settings: GeneratorSettings;
  fromMs: number;
  /** Events to write at most. */
  limit: number;
  threads: number;
}

/** Writes the sample's events to `write` from `threads` sampler workers; returns how many it wrote. */
export async function writeSharded(
  sample: ShardedSample,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<number> {
  const merge = new ChunkMerge(sample.threads);
  const arrived = new Wakeup();
  let failure: Error | undefined;
  const workers: Worker[] = [];
  try {
    for (let index = 0; index < sample.threads; index++) {
      const worker = new Worker(SAMPLER, { type: "module" });
      workers.push(worker);
      worker.addEventListener("message", (e: MessageEvent) => {
        const report = e.data as SamplerReport;
        if (report.type === "chunk") merge.add(index, report.chunk);
        else if (report.type === "end") merge.end(index);
        else failure ??= fromWireError(report.error);
        arrived.wake();
      });
      worker.addEventListener("error", (e) => {
        e.preventDefault();
        failure ??= new Error(`sampler worker crashed: ${e.message}`);
        arrived.wake();
      });
      worker.postMessage(
        {
          type: "sample",
          settings: sample.settings,
          shard: { index, count: sample.threads },
          fromMs: sample.fromMs,
          limit: sample.limit,
          chunkEvents: CHUNK_EVENTS,
        } satisfies SamplerCommand,
      );
    }
    // The chunk's buffers go back with the credit: the worker fills them
    // again rather than allocating megabytes per chunk.
    const credit = (shard: number, spent: LineChunk) =>
      workers[shard]!.postMessage(
        { type: "credit", spent } satisfies SamplerCommand,
        buffersOf(spent),
      );
    const out = new LineWriter(write);
    let written = 0;
    while (written < sample.limit) {
      await arrived.until(() => failure !== undefined || merge.ready());
      if (failure) throw failure;
      if (merge.done()) break;
      written += merge.drain(
        out.lines,
        Math.min(sample.limit - written, CHUNK_EVENTS),
        credit,
      );
      if (out.full) await out.flush();
    }
    await out.close();
    return written;
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

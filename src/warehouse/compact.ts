/**
 * Compaction: merge the small files of one Kafka partition in one closed day
 * into a single file named by the merged offset range.
 *
 * Crash-safe and replay-safe: the merged file lands atomically before the
 * inputs are removed, and its name covers their offsets, so after a crash
 * the next compaction removes files covered by another. Reconciliation
 * keeps it (its first offset is committed). Only partitions whose lock the
 * caller holds are compacted, so it never races a consumer. A reader listing
 * the directory in the instant between landing and removal can see rows
 * twice: compaction runs on closed days only.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "./fs.ts";
import { ColumnBuffer, createMergedFile, tableColumns } from "./table.ts";
import {
  copyRowGroups,
  readParquetRowGroups,
  rowToEvent,
} from "./parquet_read.ts";
import type { ParquetCompression } from "../config.ts";
import { dataFileName, parseFileName } from "./partition.ts";

/** What one compaction did. */
export interface CompactionResult {
  date: string;
  partition: number;
  merged: number;
  rows: number;
}

/** Merges the files of `partitions` in `<table>/date=<date>`; returns what it merged. */
export async function compactDay(
  table: string,
  date: string,
  partitions: ReadonlySet<number>,
  options: { compression: ParquetCompression; minFiles?: number },
): Promise<CompactionResult[]> {
  const dir = join(table, `date=${date}`);
  const byPartition = new Map<
    number,
    { path: string; first: number; last: number }[]
  >();
  try {
    for await (const f of Deno.readDir(dir)) {
      const p = parseFileName(f.name);
      if (!p || !f.name.endsWith(".parquet") || !partitions.has(p.partition)) {
        continue;
      }
      const list = byPartition.get(p.partition) ?? [];
      list.push({ path: join(dir, f.name), first: p.first, last: p.last });
      byPartition.set(p.partition, list);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const results: CompactionResult[] = [];
  for (const [partition, files] of byPartition) {
    // Finish an interrupted compaction: drop files another file covers.
    const covered = files.filter((f) =>
      files.some((g) => g !== f && g.first <= f.first && g.last >= f.last)
    );
    for (const f of covered) await Deno.remove(f.path);
    const live = files.filter((f) => !covered.includes(f)).sort((a, b) =>
      a.first - b.first
    );
    if (live.length < (options.minFiles ?? 2)) continue;
    const first = live[0]!.first;
    const last = Math.max(...live.map((f) => f.last));
    let rows = 0;
    // One row group in memory at a time, written to the temp file before
    // the next is read: a closed day of millions of rows never sits in
    // memory whole.
    await writeFileAtomic(
      join(dir, dataFileName(partition, first, last)),
      async (write) => {
        const merged = createMergedFile({ compression: options.compression });
        for (const f of live) {
          // Files of this schema are copied row group by row group, without
          // decoding (disk speed); others are decoded and re-encoded.
          const copied = await copyRowGroups(
            f.path,
            tableColumns(),
            async (bytes, group) => {
              merged.copy(bytes, group);
              await write(merged.drain());
            },
          );
          if (copied !== undefined) {
            rows += copied;
            continue;
          }
          for await (const group of readParquetRowGroups(f.path)) {
            const buffer = new ColumnBuffer(partition);
            for (const r of group) {
              buffer.append(
                rowToEvent(r),
                (r["timestamp"] as Date).getTime(),
                Number(r["kafkaOffset"]),
              );
            }
            merged.add(buffer);
            rows += buffer.size;
            await write(merged.drain());
          }
        }
        await write(merged.finish());
      },
    );
    for (const f of live) await Deno.remove(f.path);
    results.push({ date, partition, merged: live.length, rows });
  }
  return results;
}

/**
 * `tvstream compact`: merge the small files of each Kafka partition in a
 * closed day into one file named by the merged offset range.
 *
 * Crash-safe: the merged file is landed atomically before the small files are
 * removed, and its name covers their offsets, so a restart finishes the job
 * (a file whose range is inside another file's range is removed). A reader
 * that lists the directory in the instant between the two steps can see the
 * rows twice; compact closed days only.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";
import { listTable, writeFileAtomic } from "../adapters/fs.ts";
import { encodeRows, type Row } from "../adapters/parquet.ts";
import { readParquetRows, rowToEvent } from "../adapters/parquet_read.ts";
import { dataFileName, parseFileName } from "../core/partition.ts";

/** Compacts closed days (or `--date`); returns the exit code. */
export async function runCompact(
  config: Config,
  log: (message: string) => void,
): Promise<number> {
  const dates = await listTable(config.sink.warehouse, config.topic);
  let merged = 0;
  for (const d of dates) {
    if (config.date ? d.date !== config.date : !d.complete) continue;
    const dir = join(config.sink.warehouse, config.topic, `date=${d.date}`);
    const byPartition = new Map<
      number,
      { name: string; first: number; last: number; path: string }[]
    >();
    for (const f of d.files) {
      const p = parseFileName(f.name);
      if (!p) continue;
      const list = byPartition.get(p.partition) ?? [];
      list.push({ name: f.name, path: f.path, first: p.first, last: p.last });
      byPartition.set(p.partition, list);
    }
    for (const [partition, files] of byPartition) {
      // Finish an interrupted compaction: drop files covered by another.
      const covered = files.filter((f) =>
        files.some((g) => g !== f && g.first <= f.first && g.last >= f.last)
      );
      for (const f of covered) await Deno.remove(f.path);
      const live = files.filter((f) => !covered.includes(f));
      if (live.length < 2) continue;
      const rows: Row[] = [];
      for (const f of live) {
        for (const r of await readParquetRows(f.path)) {
          const fields = rowToEvent(r);
          rows.push({
            fields,
            t: (r["timestamp"] as Date).getTime(),
            partition,
            offset: Number(r["kafkaOffset"]),
          });
        }
      }
      rows.sort((a, b) => a.offset - b.offset);
      const first = Math.min(...live.map((f) => f.first));
      const last = Math.max(...live.map((f) => f.last));
      await writeFileAtomic(
        join(dir, dataFileName(partition, first, last)),
        encodeRows(rows, { compression: config.sink.compression }),
      );
      for (const f of live) await Deno.remove(f.path);
      merged += live.length;
      log(
        `date=${d.date} partition ${partition}: merged ${live.length} files (${rows.length} rows)`,
      );
    }
  }
  log(merged ? `compacted ${merged} files` : "nothing to compact");
  return 0;
}

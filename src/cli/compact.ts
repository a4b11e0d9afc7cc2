/**
 * `tvstream compact`: merge the small files of closed days (or `--date`).
 * Takes each partition's lock first, so it never races a running consumer.
 *
 * @module
 */
import type { CompactConfig } from "../config.ts";
import {
  createJsonCheckpointStore,
  listTable,
  under,
} from "../warehouse/fs.ts";
import { parseFileName } from "../warehouse/partition.ts";
import { compactDay } from "../warehouse/compact.ts";

/** Compacts closed days (or `--date`); returns the exit code. */
export async function runCompact(
  config: CompactConfig,
  log: (message: string) => void,
): Promise<number> {
  const table = under(config.sink.warehouse, config.topic);
  const store = createJsonCheckpointStore(config.sink.checkpoint);
  let merged = 0;
  for (const d of await listTable(config.sink.warehouse, config.topic)) {
    if (config.date ? d.date !== config.date : !d.complete) continue;
    const partitions = new Set(
      d.files.map((f) => parseFileName(f.name)?.partition).filter((p) =>
        p !== undefined
      ),
    );
    const locked = new Set<number>();
    for (const p of partitions) {
      try {
        await store.acquire(p, 2_000);
        locked.add(p);
      } catch {
        log(
          `date=${d.date} partition ${p}: skipped, a consumer holds it (it compacts closed days itself)`,
        );
      }
    }
    try {
      for (
        const r of await compactDay(table, d.date, locked, {
          compression: config.sink.compression,
        })
      ) {
        merged += r.merged;
        log(
          `date=${r.date} partition ${r.partition}: merged ${r.merged} files (${r.rows} rows)`,
        );
      }
    } finally {
      for (const p of locked) await store.release(p);
    }
  }
  log(merged ? `compacted ${merged} files` : "nothing to compact");
  return 0;
}

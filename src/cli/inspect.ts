/**
 * `tvstream inspect`: summarise a warehouse table by reading its files.
 *
 * @module
 */
import type { InspectConfig } from "../config.ts";
import {
  countRejected,
  createJsonCheckpointStore,
  listTable,
  under,
} from "../warehouse/fs.ts";
import { loadPartitionCheckpoint } from "../consumer/run.ts";
import { readSecret } from "./preflight.ts";
import { readParquetRowGroups } from "../warehouse/parquet_read.ts";

/** The summary `inspect` prints. */
export interface Inspection {
  table: string;
  partitions: {
    date: string;
    files: number;
    rows: number;
    bytes: number;
    first: string | null;
    last: string | null;
    complete: boolean;
  }[];
  rows: number;
  files: number;
  bytes: number;
  byEvent: Record<string, number>;
  rejected: number;
  checkpoint: { offsets: Record<string, string>; updatedAt: string } | null;
  /** With --bootstrap: records on the broker not yet in the warehouse, per partition. */
  lag: Record<string, number> | null;
}

/** Reads every visible file of the table and summarises it. */
export async function inspectWarehouse(
  config: InspectConfig,
  secret?: string,
): Promise<Inspection> {
  const table = under(config.sink.warehouse, config.topic);
  const dates = await listTable(config.sink.warehouse, config.topic);
  const byEvent: Record<string, number> = {};
  const partitions: Inspection["partitions"] = [];
  for (const d of dates) {
    let rows = 0, bytes = 0, first = Infinity, last = -Infinity;
    for (const f of d.files) {
      bytes += f.size;
      for await (
        const data of readParquetRowGroups(f.path, ["event", "timestamp"])
      ) {
        rows += data.length;
        for (const r of data) {
          const ev = r["event"] as string;
          byEvent[ev] = (byEvent[ev] ?? 0) + 1;
          const t = (r["timestamp"] as Date).getTime();
          if (t < first) first = t;
          if (t > last) last = t;
        }
      }
    }
    partitions.push({
      date: d.date,
      files: d.files.length,
      rows,
      bytes,
      first: rows ? new Date(first).toISOString() : null,
      last: rows ? new Date(last).toISOString() : null,
      complete: d.complete,
    });
  }
  let checkpoint: Inspection["checkpoint"] = null;
  const store = createJsonCheckpointStore(config.sink.checkpoint);
  for (const p of await store.list()) {
    const cp = await loadPartitionCheckpoint(
      store,
      config.topic,
      p,
      config.sink.checkpoint,
    );
    checkpoint ??= { offsets: {}, updatedAt: cp.updatedAt };
    checkpoint.offsets[String(p)] = cp.next;
    if (cp.updatedAt > checkpoint.updatedAt) {
      checkpoint.updatedAt = cp.updatedAt;
    }
  }
  let lag: Inspection["lag"] = null;
  if (config.kafka) {
    const { fetchHighWatermarks } = await import("../kafka/client.ts");
    const high = await fetchHighWatermarks(config, secret);
    lag = {};
    for (const [p, h] of Object.entries(high)) {
      lag[p] = Math.max(0, Number(h) - Number(checkpoint?.offsets[p] ?? 0));
    }
  }
  return {
    lag,
    table,
    partitions,
    rows: partitions.reduce((a, p) => a + p.rows, 0),
    files: partitions.reduce((a, p) => a + p.files, 0),
    bytes: partitions.reduce((a, p) => a + p.bytes, 0),
    byEvent: Object.fromEntries(
      Object.entries(byEvent).sort((a, b) => b[1] - a[1]),
    ),
    rejected: await countRejected(config.sink.warehouse, config.topic),
    checkpoint,
  };
}

/** Prints the inspection as a table or JSON; exit 1 if there is no table. */
export async function runInspect(
  config: InspectConfig,
  write: (text: string) => Promise<void>,
): Promise<number> {
  const secret = await readSecret(config);
  const info = await inspectWarehouse(config, secret);
  if (config.json) {
    await write(JSON.stringify(info, null, 2) + "\n");
    return 0;
  }
  if (info.partitions.length === 0) {
    await write(
      `No data under ${info.table} (run "tvstream" first, or pass --warehouse/--topic)\n`,
    );
    return 1;
  }
  const lines = [
    `table ${info.table}: ${info.rows} rows in ${info.files} files, ${
      (info.bytes / 1e6).toFixed(1)
    } MB, ${info.rejected} rejected`,
    "",
    "date        files      rows        MB  first event               last event                complete",
    ...info.partitions.map((p) =>
      `${p.date}  ${String(p.files).padStart(5)} ${
        String(p.rows).padStart(9)
      } ${(p.bytes / 1e6).toFixed(1).padStart(9)}  ${
        (p.first ?? "").padEnd(24)
      }  ${(p.last ?? "").padEnd(24)}  ${p.complete ? "yes" : "no"}`
    ),
    "",
    "event                       count",
    ...Object.entries(info.byEvent).map(([e, n]) =>
      `${e.padEnd(22)} ${String(n).padStart(10)}`
    ),
  ];
  if (info.lag) {
    const total = Object.values(info.lag).reduce((a, b) => a + b, 0);
    lines.push("", `lag ${total} records: ${JSON.stringify(info.lag)}`);
  }
  if (info.checkpoint) {
    lines.push(
      "",
      `checkpoint ${
        JSON.stringify(info.checkpoint.offsets)
      } at ${info.checkpoint.updatedAt}`,
    );
  }
  await write(lines.join("\n") + "\n");
  return 0;
}

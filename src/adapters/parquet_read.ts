/**
 * The only importer of hyparquet: reads warehouse files back.
 *
 * @module
 */
import { parquetMetadata, parquetReadObjects } from "hyparquet";

/** Reads a Parquet file into row objects (timestamps become ISO strings). */
export async function readParquetRows(
  path: string,
  columns?: string[],
): Promise<Record<string, unknown>[]> {
  const bytes = await Deno.readFile(path);
  const rows = await parquetReadObjects({
    file: bytes.buffer,
    ...(columns ? { columns } : {}),
  });
  return rows as Record<string, unknown>[];
}

/** Returns a file's row count and key-value metadata without reading data. */
export async function readParquetInfo(
  path: string,
): Promise<{ rows: number; metadata: Record<string, string> }> {
  const bytes = await Deno.readFile(path);
  const meta = parquetMetadata(bytes.buffer);
  const metadata: Record<string, string> = {};
  for (const kv of meta.key_value_metadata ?? []) {
    metadata[kv.key] = kv.value ?? "";
  }
  return { rows: Number(meta.num_rows), metadata };
}

/** Turns a warehouse row back into the event JSON it came from. */
export function rowToEvent(
  row: Record<string, unknown>,
): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) continue;
    if (k === "kafkaPartition" || k === "kafkaOffset") continue;
    event[k] = v instanceof Date ? v.toISOString() : v;
  }
  return event;
}

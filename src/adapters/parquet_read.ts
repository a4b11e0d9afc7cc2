/**
 * The only importer of hyparquet: reads warehouse files back.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "hyparquet";

/** hyparquet decodes snappy itself; gzip (`--compression gzip`) comes from node:zlib. */
export const DECOMPRESSORS = {
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
};

/** Reads a Parquet file into row objects (timestamps become ISO strings). */
export async function readParquetRows(
  path: string,
  columns?: string[],
): Promise<Record<string, unknown>[]> {
  const bytes = await Deno.readFile(path);
  const rows = await parquetReadObjects({
    file: bytes.buffer,
    compressors: DECOMPRESSORS,
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

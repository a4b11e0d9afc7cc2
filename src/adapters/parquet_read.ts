/**
 * The only importer of hyparquet: reads warehouse files back.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import {
  type Codec,
  type Column,
  ENCODINGS,
  type RawRowGroup,
  type Statistics,
  statisticsBytes,
} from "../parquet/write.ts";

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

/**
 * The row groups of a Parquet file, as `ParquetFile.copyRowGroup` takes
 * them, or undefined when the file's columns are not exactly `columns` (a
 * file from another schema version must be decoded and re-encoded instead).
 */
export function rawRowGroups(
  bytes: Uint8Array,
  columns: readonly Column[],
): RawRowGroup[] | undefined {
  const meta = parquetMetadata(bytes);
  const fields = meta.schema.slice(1);
  if (
    fields.length !== columns.length ||
    fields.some((f, i) =>
      f.name !== columns[i]!.name || f.type !== columns[i]!.type ||
      (f.repetition_type === "REQUIRED") !== columns[i]!.required ||
      f.num_children !== undefined
    )
  ) return undefined;
  const groups: RawRowGroup[] = [];
  for (const g of meta.row_groups) {
    const chunks = [];
    for (const [i, c] of g.columns.entries()) {
      const m = c.meta_data;
      if (!m || m.path_in_schema.join(".") !== columns[i]!.name) {
        return undefined;
      }
      const data = Number(m.data_page_offset);
      const dictionary = m.dictionary_page_offset === undefined
        ? undefined
        : Number(m.dictionary_page_offset);
      const encodings = m.encodings.map((e) => ENCODINGS[e]);
      if (encodings.some((e) => e === undefined)) return undefined;
      const stats = m.statistics && statistics(columns[i]!, m.statistics);
      chunks.push({
        start: dictionary === undefined ? data : Math.min(data, dictionary),
        compressed: Number(m.total_compressed_size),
        uncompressed: Number(m.total_uncompressed_size),
        dataOffset: data,
        ...(dictionary === undefined ? {} : { dictionaryOffset: dictionary }),
        encodings: encodings as number[],
        codec: m.codec as Codec,
        numValues: Number(m.num_values),
        ...(stats ? { stats } : {}),
      });
    }
    groups.push({ rows: Number(g.num_rows), chunks });
  }
  return groups;
}

/** hyparquet's decoded statistics back to the bytes the footer holds. */
function statistics(
  column: Column,
  s: { null_count?: bigint; min_value?: unknown; max_value?: unknown },
): Statistics | undefined {
  if (s.null_count === undefined) return undefined;
  const plain = (v: unknown) => {
    if (v === undefined || v === null) return undefined;
    const value = v instanceof Date
      ? v.getTime()
      : typeof v === "bigint"
      ? Number(v)
      : v as string | number | boolean;
    return statisticsBytes(column.type, value);
  };
  const min = plain(s.min_value);
  const max = plain(s.max_value);
  return {
    nulls: Number(s.null_count),
    ...(min ? { min } : {}),
    ...(max ? { max } : {}),
  };
}

/**
 * The only importer of hyparquet: reads warehouse files back.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetReadObjects,
  type RowGroup,
} from "hyparquet";
import { PROVENANCE_COLUMNS } from "./table.ts";
import { chunkStart, type Column } from "./parquet_write.ts";

/** hyparquet decodes snappy itself; gzip (`--compression gzip`) comes from node:zlib. */
export const DECOMPRESSORS = {
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
};

/** Reads a whole Parquet file into row objects (for tests and small files). */
export async function readParquetRows(
  path: string,
  columns?: string[],
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const group of readParquetRowGroups(path, columns)) {
    for (const r of group) rows.push(r);
  }
  return rows;
}

/** An open Parquet file: byte-range reads, its footer, each row group's rows. */
interface OpenFile {
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  /** Row ranges [start, end) of the row groups, in order. */
  groups: { start: number; end: number }[];
  close(): void;
}

async function openParquet(path: string): Promise<OpenFile> {
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = fileBuffer(file, (await file.stat()).size);
    const metadata = await parquetMetadataAsync(buffer);
    let start = 0;
    const groups = metadata.row_groups.map((g) => {
      const range = { start, end: start + Number(g.num_rows) };
      start = range.end;
      return range;
    });
    return { buffer, metadata, groups, close: () => file.close() };
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Reads a Parquet file one row group at a time, fetching only the bytes
 * that row group needs: memory is bounded by a row group, however large
 * the file (a compacted day can hold millions of rows).
 */
export async function* readParquetRowGroups(
  path: string,
  columns?: string[],
): AsyncGenerator<Record<string, unknown>[]> {
  const { buffer, metadata, groups, close } = await openParquet(path);
  try {
    for (const { start, end } of groups) {
      const rows = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart: start,
        rowEnd: end,
        compressors: DECOMPRESSORS,
        ...(columns ? { columns } : {}),
      });
      yield rows as Record<string, unknown>[];
    }
  } finally {
    close();
  }
}

/**
 * Reads the events of a warehouse file, one row group at a time, as the
 * JSON objects they were (nulls and provenance columns dropped). Rows come
 * from hyparquet as arrays, not 72-key objects: building and walking those
 * objects was most of `validate`'s time.
 */
export async function* readParquetEvents(
  path: string,
): AsyncGenerator<Record<string, unknown>[]> {
  const { buffer, metadata, groups, close } = await openParquet(path);
  try {
    const names = metadata.schema.slice(1).map((e) => e.name);
    const keep = names.map((n) => !PROVENANCE.has(n));
    for (const { start, end } of groups) {
      let rows: unknown[][] = [];
      await parquetRead({
        file: buffer,
        metadata,
        rowStart: start,
        rowEnd: end,
        compressors: DECOMPRESSORS,
        onComplete: (r) => rows = r,
      });
      const events = new Array<Record<string, unknown>>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const event: Record<string, unknown> = {};
        for (let c = 0; c < names.length; c++) {
          const v = row[c];
          if (v === null || v === undefined || !keep[c]) continue;
          event[names[c]!] = eventValue(v);
        }
        events[i] = event;
      }
      yield events;
    }
  } finally {
    close();
  }
}

const PROVENANCE: ReadonlySet<string> = new Set(PROVENANCE_COLUMNS);

/** A column value as the event JSON had it (timestamps back to ISO strings). */
function eventValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

/** A file as hyparquet's AsyncBuffer; reads are queued (one file position). */
function fileBuffer(file: Deno.FsFile, size: number): AsyncBuffer {
  let queue: Promise<unknown> = Promise.resolve();
  const read = async (start: number, end: number) => {
    const out = new Uint8Array(end - start);
    await file.seek(start, Deno.SeekMode.Start);
    let n = 0;
    while (n < out.length) {
      const got = await file.read(out.subarray(n));
      if (got === null) {
        throw new RangeError(`unexpected end of file at ${start + n}`);
      }
      n += got;
    }
    return out.buffer;
  };
  return {
    byteLength: size,
    slice(start: number, end = size) {
      const result = queue.then(() => read(start, end));
      queue = result.catch(() => {});
      return result;
    },
  };
}

/** Turns a warehouse row back into the event JSON it came from. */
export function rowToEvent(
  row: Record<string, unknown>,
): Record<string, unknown> {
  // for-in, not Object.entries: rows have 72 keys, mostly null, and the
  // entry arrays were most of `validate`'s time and garbage.
  const event: Record<string, unknown> = {};
  for (const k in row) {
    const v = row[k];
    if (v === null || v === undefined || PROVENANCE.has(k)) continue;
    event[k] = eventValue(v);
  }
  return event;
}

/**
 * Hands each row group of the file at `path` to `copy`, as
 * `ParquetFile.copyRowGroup` takes it: the group's bytes (read one group at
 * a time) and its footer entry, offsets relative to those bytes. Returns
 * the rows handed over, or undefined without reading any data when the
 * file's columns are not exactly `columns` (a file from another schema
 * version must be decoded and re-encoded instead).
 */
export async function copyRowGroups(
  path: string,
  columns: readonly Column[],
  copy: (bytes: Uint8Array, group: RowGroup) => Promise<void>,
): Promise<number | undefined> {
  const { buffer, metadata, close } = await openParquet(path);
  try {
    if (!sameColumns(metadata, columns)) return undefined;
    let rows = 0;
    for (const g of metadata.row_groups) {
      const starts = g.columns.map((c) => chunkStart(c.meta_data!));
      const from = Math.min(...starts);
      const to = Math.max(
        ...g.columns.map((c, i) =>
          starts[i]! + Number(c.meta_data!.total_compressed_size)
        ),
      );
      const bytes = new Uint8Array(await buffer.slice(from, to));
      await copy(bytes, rebase(g, BigInt(from)));
      rows += Number(g.num_rows);
    }
    return rows;
  } finally {
    close();
  }
}

/** Whether a footer's columns are exactly `columns`, one chunk each. */
function sameColumns(meta: FileMetaData, columns: readonly Column[]): boolean {
  const fields = meta.schema.slice(1);
  return fields.length === columns.length &&
    fields.every((f, i) =>
      f.name === columns[i]!.name && f.type === columns[i]!.type &&
      (f.repetition_type === "REQUIRED") === columns[i]!.required &&
      f.num_children === undefined
    ) &&
    meta.row_groups.every((g) =>
      g.columns.length === columns.length &&
      g.columns.every((c, i) =>
        c.meta_data?.path_in_schema.join(".") === columns[i]!.name
      )
    );
}

/** A row group's footer entry with its page offsets moved back by `by`. */
function rebase(g: RowGroup, by: bigint): RowGroup {
  return {
    ...g,
    columns: g.columns.map((c) => {
      const m = c.meta_data!;
      return {
        ...c,
        file_offset: c.file_offset - by,
        meta_data: {
          ...m,
          data_page_offset: m.data_page_offset - by,
          ...(m.dictionary_page_offset === undefined
            ? {}
            : { dictionary_page_offset: m.dictionary_page_offset - by }),
        },
      };
    }),
  };
}

/**
 * A Parquet writer for flat schemas of optional scalar columns, the shape
 * of every tvstream table, built on hyparquet-writer's public pieces: its
 * `ByteWriter` holds the bytes, its page-header and footer writers write
 * the Thrift, its RLE/bit-packed writer encodes levels and dictionary
 * indexes.
 *
 * What it adds is what the library's `ParquetWriter` lacks (README,
 * "Parquet"): it encodes from sparse columns (the values present and the
 * rows they belong to), so a column most event types leave empty costs its
 * few values rather than a pass over every row; and it copies a row group
 * of another file byte for byte (compaction). Pages are data page v1 with
 * RLE definition levels and dictionary (RLE_DICTIONARY) or PLAIN values.
 *
 * @module
 */
import { ByteWriter } from "hyparquet-writer";
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import { writeRleBitPackedHybrid } from "hyparquet-writer/src/encoding.js";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import type {
  ColumnChunk,
  ColumnMetaData,
  CompressionCodec,
  KeyValue,
  RowGroup,
  SchemaElement,
} from "hyparquet";

/** Physical column types used here. */
export type ParquetType =
  | "BOOLEAN"
  | "INT32"
  | "INT64"
  | "DOUBLE"
  | "BYTE_ARRAY";

/** Compression codecs, by their Parquet names. */
export type Codec = "UNCOMPRESSED" | "SNAPPY" | "GZIP";

/** One column of the (flat) schema. */
export interface Column {
  name: string;
  type: ParquetType;
  required: boolean;
  /** Logical type: UTF-8 strings, or UTC timestamps in milliseconds. */
  logical?: "STRING" | "TIMESTAMP_MILLIS";
  /** Try dictionary encoding; it is kept only when it pays. */
  dictionary: boolean;
  /** Write min, max and null count (readers prune row groups on them). */
  statistics: boolean;
}

/** One column's values in a row group: present values, in row order. */
export interface Chunk {
  values: ArrayLike<string | number | boolean>;
  /** Row of each value; absent when every row has a value. */
  rows?: ArrayLike<number>;
}

/** Options for one file. */
export interface FileOptions {
  columns: readonly Column[];
  codec: Codec;
  /** Compresses one page for `codec` (unused for UNCOMPRESSED). */
  compress: (page: Uint8Array) => Uint8Array;
  /** Columns stored UNCOMPRESSED whatever `codec` (the codec is per column chunk). */
  uncompressed?: ReadonlySet<string>;
  createdBy: string;
  metadata: KeyValue[];
}

/** The schema as the footer holds it: a root, then one element per column. */
export function schemaElements(columns: readonly Column[]): SchemaElement[] {
  return [
    { name: "root", num_children: columns.length },
    ...columns.map((c): SchemaElement => ({
      name: c.name,
      type: c.type,
      repetition_type: c.required ? "REQUIRED" : "OPTIONAL",
      ...(c.logical === "STRING"
        ? { converted_type: "UTF8", logical_type: { type: "STRING" } }
        : c.logical === "TIMESTAMP_MILLIS"
        ? {
          converted_type: "TIMESTAMP_MILLIS",
          logical_type: {
            type: "TIMESTAMP",
            isAdjustedToUTC: true,
            unit: "MILLIS",
          },
        }
        : {}),
    })),
  ];
}

/** Rows per data page: pages stay around a megabyte before compression. */
const PAGE_ROWS = 20_000;
const MAGIC = 0x31524150; // "PAR1", little-endian
const UTF8 = new TextEncoder();

/** Builds one Parquet file in memory, one row group per `rowGroup` call. */
export class ParquetFile {
  readonly #options: FileOptions;
  readonly #out = new ByteWriter(1 << 20);
  readonly #page = new ByteWriter(1 << 16);
  readonly #groups: RowGroup[] = [];
  #levels = new Uint8Array(PAGE_ROWS);
  #indexes = new Int32Array(1024);

  /** Starts a file with these columns and codec. */
  constructor(options: FileOptions) {
    this.#options = options;
    this.#out.appendUint32(MAGIC);
  }

  /** Appends a row group of `rows` rows; `chunks` follow the column order. */
  rowGroup(rows: number, chunks: readonly Chunk[]): void {
    if (rows === 0) return;
    this.#group(
      rows,
      chunks.length,
      (column, i) => this.#writeChunk(column, chunks[i]!, rows),
    );
  }

  /**
   * Appends a row group of `source` (a file with the same columns) without
   * decoding it: its pages are copied byte for byte and its footer entries
   * (offsets relative to `source`) moved to their new offsets. This is how
   * compaction merges files at disk speed.
   */
  copyRowGroup(source: Uint8Array, group: RowGroup): void {
    this.#group(Number(group.num_rows), group.columns.length, (_, i) => {
      const m = group.columns[i]!.meta_data!;
      const start = chunkStart(m);
      const at = this.#out.offset;
      this.#out.appendBytes(
        source.subarray(start, start + Number(m.total_compressed_size)),
      );
      const shift = BigInt(at - start);
      const { dictionary_page_offset: dict, ...rest } = m;
      return {
        file_offset: BigInt(at),
        meta_data: {
          ...rest,
          data_page_offset: m.data_page_offset + shift,
          ...(dict === undefined
            ? {}
            : { dictionary_page_offset: dict + shift }),
        },
      };
    });
  }

  /** Writes one chunk per column with `chunk`, then records the row group. */
  #group(
    rows: number,
    count: number,
    chunk: (column: Column, i: number) => ColumnChunk,
  ): void {
    const { columns } = this.#options;
    if (count !== columns.length) {
      throw new RangeError(`expected ${columns.length} columns, got ${count}`);
    }
    const offset = this.#out.offset;
    const chunks = columns.map(chunk);
    let uncompressed = 0n;
    for (const c of chunks) {
      uncompressed += c.meta_data!.total_uncompressed_size;
    }
    this.#groups.push({
      columns: chunks,
      total_byte_size: uncompressed,
      num_rows: BigInt(rows),
      file_offset: BigInt(offset),
      total_compressed_size: BigInt(this.#out.offset - offset),
    });
  }

  /**
   * Hands over the bytes written so far (call between row groups), so a
   * large file can go to disk as it is built; `finish` then returns the
   * rest.
   */
  drain(): Uint8Array {
    const bytes = this.#out.getBytes().slice();
    // The library's own streaming writers flush this way: `offset` keeps
    // counting the file, `index` restarts the buffer.
    this.#out.index = 0;
    return bytes;
  }

  /** Writes the footer and returns the file (the part not drained). */
  finish(): Uint8Array {
    const { columns, createdBy, metadata } = this.#options;
    let rows = 0n;
    for (const g of this.#groups) rows += g.num_rows;
    writeMetadata(this.#out, {
      version: 1,
      schema: schemaElements(columns),
      num_rows: rows,
      row_groups: this.#groups,
      ...(metadata.length > 0 ? { key_value_metadata: metadata } : {}),
      created_by: createdBy,
      metadata_length: 0,
    }, Infinity);
    this.#out.appendUint32(MAGIC);
    return this.#out.getBytes().slice();
  }

  #writeChunk(column: Column, chunk: Chunk, rows: number): ColumnChunk {
    const { values } = chunk;
    const start = this.#out.offset;
    const codec: Codec = this.#options.uncompressed?.has(column.name)
      ? "UNCOMPRESSED"
      : this.#options.codec;
    const dict = column.dictionary && column.type !== "BOOLEAN"
      ? this.#dictionary(values)
      : undefined;
    let uncompressed = 0;
    if (dict) {
      const page = startPage(this.#page);
      for (const v of dict.keys()) plain(page, column.type, v);
      uncompressed += this.#emitPage(codec, {
        type: "DICTIONARY_PAGE",
        dictionary_page_header: { num_values: dict.size, encoding: "PLAIN" },
      });
    }
    const dataOffset = this.#out.offset;
    uncompressed += this.#writeDataPages(column, chunk, rows, codec, dict);
    const meta: ColumnMetaData = {
      type: column.type,
      encodings: dict ? ["PLAIN", "RLE", "RLE_DICTIONARY"] : ["PLAIN", "RLE"],
      path_in_schema: [column.name],
      codec: codec as CompressionCodec,
      num_values: BigInt(rows),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(this.#out.offset - start),
      data_page_offset: BigInt(dataOffset),
      ...(dict ? { dictionary_page_offset: BigInt(start) } : {}),
      ...(column.statistics
        ? {
          statistics: statistics(
            dict ? Array.from(dict.keys()) : values,
            rows - values.length,
          ),
        }
        : {}),
    };
    return { file_offset: BigInt(start), meta_data: meta };
  }

  /** Writes the chunk's data pages; returns their uncompressed size. */
  #writeDataPages(
    column: Column,
    { values, rows: at }: Chunk,
    rows: number,
    codec: Codec,
    dict: Map<unknown, number> | undefined,
  ): number {
    const m = values.length;
    const bitWidth = dict ? Math.max(1, bitWidthOf(dict.size - 1)) : 0;
    let uncompressed = 0;
    let k = 0;
    for (let r0 = 0; r0 < rows; r0 += PAGE_ROWS) {
      const r1 = Math.min(rows, r0 + PAGE_ROWS);
      const page = startPage(this.#page);
      const k0 = k;
      if (at) { while (k < m && at[k]! < r1) k++; }
      else k = Math.min(m, r1);
      if (!column.required) this.#writeLevels(at, k0, k, r0, r1);
      if (dict) {
        page.appendUint8(bitWidth);
        writeRleBitPackedHybrid(page, this.#indexes.subarray(k0, k), bitWidth);
      } else if (column.type === "BOOLEAN") {
        writeBooleans(page, values, k0, k);
      } else {
        for (let j = k0; j < k; j++) plain(page, column.type, values[j]!);
      }
      uncompressed += this.#emitPage(codec, {
        type: "DATA_PAGE",
        data_page_header: {
          num_values: r1 - r0,
          encoding: dict ? "RLE_DICTIONARY" : "PLAIN",
          definition_level_encoding: "RLE",
          repetition_level_encoding: "RLE",
        },
      });
    }
    return uncompressed;
  }

  /** Definition levels of rows [r0, r1), length-prefixed as data page v1 has them. */
  #writeLevels(
    at: ArrayLike<number> | undefined,
    k0: number,
    k: number,
    r0: number,
    r1: number,
  ): void {
    const n = r1 - r0;
    const levels = this.#levels;
    if (at) {
      levels.fill(0, 0, n);
      for (let j = k0; j < k; j++) levels[at[j]! - r0] = 1;
    } else levels.fill(1, 0, n);
    const page = this.#page;
    const lengthAt = page.index;
    page.appendInt32(0);
    const length = writeRleBitPackedHybrid(page, levels.subarray(0, n), 1);
    page.view.setInt32(lengthAt, length, true);
  }

  /**
   * Dictionary-encodes `values` into this.#indexes, or returns undefined
   * when the distinct values are more than half of them (it would not pay).
   */
  #dictionary(
    values: ArrayLike<string | number | boolean>,
  ): Map<string | number | boolean, number> | undefined {
    const m = values.length;
    if (this.#indexes.length < m) this.#indexes = new Int32Array(m * 2);
    const indexes = this.#indexes;
    const dict = new Map<string | number | boolean, number>();
    const limit = Math.max(16, m >> 1);
    for (let j = 0; j < m; j++) {
      const v = values[j]!;
      let i = dict.get(v);
      if (i === undefined) {
        i = dict.size;
        if (i >= limit) return undefined;
        dict.set(v, i);
      }
      indexes[j] = i;
    }
    return dict;
  }

  /** Compresses the page behind its header; returns the uncompressed size. */
  #emitPage(
    codec: Codec,
    header: Omit<
      Parameters<typeof writePageHeader>[1],
      "uncompressed_page_size" | "compressed_page_size"
    >,
  ): number {
    const body = this.#page.getBytes();
    const packed = codec === "UNCOMPRESSED"
      ? body
      : this.#options.compress(body);
    const out = this.#out;
    const headerStart = out.offset;
    writePageHeader(out, {
      ...header,
      uncompressed_page_size: body.length,
      compressed_page_size: packed.length,
    });
    const headerSize = out.offset - headerStart;
    out.appendBytes(packed);
    return headerSize + body.length;
  }
}

/** Where a column chunk's pages start: its dictionary page, if any. */
export function chunkStart(m: ColumnMetaData): number {
  const data = Number(m.data_page_offset);
  return m.dictionary_page_offset === undefined
    ? data
    : Math.min(data, Number(m.dictionary_page_offset));
}

/** Empties a reused page buffer. */
function startPage(page: ByteWriter): ByteWriter {
  page.index = 0;
  page.offset = 0;
  return page;
}

/** Bits needed for values up to `max`. */
function bitWidthOf(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/**
 * One value, PLAIN-encoded. Strings are encoded in place (`encodeInto`):
 * the library's plain writer makes a new encoder and array per string.
 */
function plain(
  out: ByteWriter,
  type: ParquetType,
  v: string | number | boolean,
) {
  switch (type) {
    case "BYTE_ARRAY": {
      const s = v as string;
      out.ensure(4 + s.length * 3);
      const { written } = UTF8.encodeInto(
        s,
        new Uint8Array(out.buffer, out.index + 4),
      );
      out.view.setUint32(out.index, written, true);
      out.index += 4 + written;
      out.offset += 4 + written;
      break;
    }
    case "INT32":
      out.appendInt32(v as number);
      break;
    case "INT64": {
      // A safe integer as two 32-bit halves, without a BigInt per value.
      const n = v as number;
      const lo = n >>> 0;
      out.appendUint32(lo);
      out.appendInt32((n - lo) / 4294967296);
      break;
    }
    case "DOUBLE":
      out.appendFloat64(v as number);
      break;
    case "BOOLEAN":
      out.appendUint8(v ? 1 : 0);
  }
}

/** values[k0, k) as PLAIN booleans: one bit each, least significant first. */
function writeBooleans(
  out: ByteWriter,
  values: ArrayLike<string | number | boolean>,
  k0: number,
  k: number,
): void {
  let byte = 0;
  for (let j = k0; j < k; j++) {
    if (values[j]) byte |= 1 << ((j - k0) & 7);
    if (((j - k0) & 7) === 7) {
      out.appendUint8(byte);
      byte = 0;
    }
  }
  if (((k - k0) & 7) !== 0) out.appendUint8(byte);
}

/** Min, max and null count, as the library's footer writer takes them. */
function statistics(
  values: ArrayLike<string | number | boolean>,
  nulls: number,
): {
  null_count: bigint;
  min_value?: string | number;
  max_value?: string | number;
} {
  let min: string | number | boolean | undefined;
  let max: string | number | boolean | undefined;
  for (let j = 0; j < values.length; j++) {
    const v = values[j]!;
    // Strings here are ASCII names and ids, where UTF-16 order (JS `<`)
    // equals the UTF-8 byte order Parquet asks for.
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  if (min === undefined || max === undefined) {
    return { null_count: BigInt(nulls) };
  }
  return {
    null_count: BigInt(nulls),
    min_value: min as string | number,
    max_value: max as string | number,
  };
}

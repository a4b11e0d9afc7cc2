/**
 * A Parquet writer for flat schemas of optional scalar columns, the shape
 * of every tvstream table. It works from sparse columns (the values present
 * and the rows they belong to), so a column that most event types leave
 * empty costs its few values, not a pass over every row. Pages are data
 * page v1 with RLE definition levels and dictionary (RLE_DICTIONARY) or
 * PLAIN values, as pyarrow writes by default, the form every engine reads.
 *
 * @module
 */
import { bitWidthOf, Bytes, writeHybrid } from "./parquet_bytes.ts";
import { ThriftWriter } from "./thrift.ts";

const UTF8 = new TextEncoder();

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
  metadata: readonly { key: string; value: string }[];
}

const TYPE = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 };
const CODEC = { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2 };
const PLAIN = 0;
const RLE = 3;
const RLE_DICTIONARY = 8;
const DATA_PAGE = 0;
const DICTIONARY_PAGE = 2;
/** Rows per data page: pages stay around a megabyte before compression. */
const PAGE_ROWS = 20_000;
const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** Parquet encoding ids, by name. */
export const ENCODINGS: Readonly<Record<string, number>> = {
  PLAIN: 0,
  PLAIN_DICTIONARY: 2,
  RLE: 3,
  BIT_PACKED: 4,
  DELTA_BINARY_PACKED: 5,
  DELTA_LENGTH_BYTE_ARRAY: 6,
  DELTA_BYTE_ARRAY: 7,
  RLE_DICTIONARY: 8,
  BYTE_STREAM_SPLIT: 9,
};

/** Column statistics: null count, and min/max as plain-encoded bytes. */
export interface Statistics {
  nulls: number;
  min?: Uint8Array;
  max?: Uint8Array;
}

/** One column chunk of another file, described by that file's footer. */
export interface RawChunk {
  /** Where the chunk's pages start in the source file, and their size. */
  start: number;
  compressed: number;
  uncompressed: number;
  dataOffset: number;
  dictionaryOffset?: number;
  encodings: number[];
  codec: Codec;
  numValues: number;
  stats?: Statistics;
}

/** A row group of another file with the same columns, to copy as it is. */
export interface RawRowGroup {
  rows: number;
  chunks: RawChunk[];
}

interface ChunkMeta {
  column: Column;
  codec: Codec;
  offset: number;
  dictionaryOffset: number | undefined;
  dataOffset: number;
  encodings: number[];
  numValues: number;
  compressed: number;
  uncompressed: number;
  stats?: Statistics;
}

interface GroupMeta {
  rows: number;
  offset: number;
  compressed: number;
  uncompressed: number;
  chunks: ChunkMeta[];
}

/** Builds one Parquet file in memory, one row group per `rowGroup` call. */
export class ParquetFile {
  readonly #options: FileOptions;
  readonly #out = new Bytes(1 << 20);
  readonly #page = new Bytes(1 << 16);
  readonly #groups: GroupMeta[] = [];
  #levels = new Uint8Array(PAGE_ROWS);
  /** Bytes already handed over by `drain`. */
  #drained = 0;
  #indexes = new Int32Array(1024);

  /** Starts a file with these columns and codec. */
  constructor(options: FileOptions) {
    this.#options = options;
    this.#out.bytes(MAGIC);
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
   * moved to their new offsets. This is how compaction merges files at disk
   * speed.
   */
  copyRowGroup(source: Uint8Array, group: RawRowGroup): void {
    this.#group(group.rows, group.chunks.length, (column, i): ChunkMeta => {
      const c = group.chunks[i]!;
      const at = this.#position();
      this.#out.bytes(source.subarray(c.start, c.start + c.compressed));
      const shift = at - c.start;
      return {
        column,
        codec: c.codec,
        offset: at,
        dictionaryOffset: c.dictionaryOffset === undefined
          ? undefined
          : c.dictionaryOffset + shift,
        dataOffset: c.dataOffset + shift,
        encodings: c.encodings,
        numValues: c.numValues,
        compressed: c.compressed,
        uncompressed: c.uncompressed,
        ...(c.stats ? { stats: c.stats } : {}),
      };
    });
  }

  /** Writes one chunk per column with `chunk`, then records the row group. */
  #group(
    rows: number,
    count: number,
    chunk: (column: Column, i: number) => ChunkMeta,
  ): void {
    const { columns } = this.#options;
    if (count !== columns.length) {
      throw new RangeError(`expected ${columns.length} columns, got ${count}`);
    }
    const offset = this.#position();
    const chunks = columns.map(chunk);
    let uncompressed = 0;
    for (const m of chunks) uncompressed += m.uncompressed;
    this.#groups.push({
      rows,
      offset,
      compressed: this.#position() - offset,
      uncompressed,
      chunks,
    });
  }

  /**
   * Hands over the bytes written so far (call between row groups), so a
   * large file can go to disk as it is built; `finish` then returns the
   * rest.
   */
  drain(): Uint8Array {
    const bytes = this.#out.view().slice();
    this.#drained += this.#out.length;
    this.#out.reset();
    return bytes;
  }

  /** Writes the footer and returns the file (the part not drained). */
  finish(): Uint8Array {
    const out = this.#out;
    const footerStart = out.length;
    const w = new ThriftWriter(out);
    const { columns, createdBy, metadata } = this.#options;
    let rows = 0;
    for (const g of this.#groups) rows += g.rows;
    w.i32(1, 1);
    w.structList(2, [undefined, ...columns], (s, c) => {
      if (!c) {
        s.string(4, "root").i32(5, columns.length);
        return;
      }
      s.i32(1, TYPE[c.type]).i32(3, c.required ? 0 : 1).string(4, c.name);
      if (c.logical === "STRING") {
        s.i32(6, 0).struct(10, (l) => l.struct(1, () => {}));
      } else if (c.logical === "TIMESTAMP_MILLIS") {
        s.i32(6, 9).struct(
          10,
          (l) =>
            l.struct(
              8,
              (t) => t.bool(1, true).struct(2, (u) => u.struct(1, () => {})),
            ),
        );
      }
    });
    w.i64(3, rows);
    w.structList(4, this.#groups, (s, g) => {
      s.structList(1, g.chunks, (cc, m) => {
        cc.i64(2, m.offset).struct(3, (md) => {
          md.i32(1, TYPE[m.column.type])
            .i32List(2, m.encodings)
            .stringList(3, [m.column.name])
            .i32(4, CODEC[m.codec])
            .i64(5, m.numValues)
            .i64(6, m.uncompressed)
            .i64(7, m.compressed)
            .i64(9, m.dataOffset);
          if (m.dictionaryOffset !== undefined) md.i64(11, m.dictionaryOffset);
          const stats = m.stats;
          if (stats) {
            md.struct(12, (st) => {
              st.i64(3, stats.nulls);
              if (stats.max) st.binary(5, stats.max);
              if (stats.min) st.binary(6, stats.min);
            });
          }
        });
      });
      s.i64(2, g.uncompressed).i64(3, g.rows).i64(5, g.offset).i64(
        6,
        g.compressed,
      );
    });
    if (metadata.length > 0) {
      w.structList(
        5,
        metadata,
        (s, kv) => s.string(1, kv.key).string(2, kv.value),
      );
    }
    w.string(6, createdBy);
    // Type-defined order: readers may trust min_value/max_value.
    w.structList(7, columns, (s) => s.struct(1, () => {}));
    w.end();
    out.i32(out.length - footerStart);
    out.bytes(MAGIC);
    return out.view().slice();
  }

  /** Offset in the file of the next byte written. */
  #position(): number {
    return this.#drained + this.#out.length;
  }

  #writeChunk(column: Column, chunk: Chunk, rows: number): ChunkMeta {
    const { values, rows: at } = chunk;
    const m = values.length;
    const start = this.#position();
    const codec = this.#options.uncompressed?.has(column.name)
      ? "UNCOMPRESSED"
      : this.#options.codec;
    const meta: ChunkMeta = {
      column,
      codec,
      offset: start,
      dictionaryOffset: undefined,
      dataOffset: start,
      encodings: [],
      numValues: rows,
      compressed: 0,
      uncompressed: 0,
    };
    const dict = column.dictionary && column.type !== "BOOLEAN"
      ? this.#dictionary(values)
      : undefined;
    if (dict) {
      meta.dictionaryOffset = this.#position();
      const page = this.#page;
      page.reset();
      for (const v of dict.keys()) plain(page, column.type, v);
      meta.uncompressed += this.#emitPage(
        codec,
        DICTIONARY_PAGE,
        dict.size,
        PLAIN,
      );
      meta.encodings.push(PLAIN, RLE, RLE_DICTIONARY);
    } else {
      meta.encodings.push(PLAIN, RLE);
    }
    meta.dataOffset = this.#position();
    const bitWidth = dict ? Math.max(1, bitWidthOf(dict.size - 1)) : 0;
    let k = 0;
    for (let r0 = 0; r0 < rows; r0 += PAGE_ROWS) {
      const r1 = Math.min(rows, r0 + PAGE_ROWS);
      const page = this.#page;
      page.reset();
      const k0 = k;
      if (at) { while (k < m && at[k]! < r1) k++; }
      else k = Math.min(m, r1);
      if (!column.required) {
        const n = r1 - r0;
        const levels = this.#levels;
        if (at) {
          levels.fill(0, 0, n);
          for (let j = k0; j < k; j++) levels[at[j]! - r0] = 1;
        } else levels.fill(1, 0, n);
        const lengthAt = page.length;
        page.i32(0);
        writeHybrid(page, levels, n, 1);
        page.setI32(lengthAt, page.length - lengthAt - 4);
      }
      if (dict) {
        page.u8(bitWidth);
        writeHybrid(page, this.#indexes.subarray(k0, k), k - k0, bitWidth);
      } else if (column.type === "BOOLEAN") {
        let byte = 0;
        for (let j = k0; j < k; j++) {
          if (values[j]) byte |= 1 << ((j - k0) & 7);
          if (((j - k0) & 7) === 7) {
            page.u8(byte);
            byte = 0;
          }
        }
        if (((k - k0) & 7) !== 0) page.u8(byte);
      } else {
        for (let j = k0; j < k; j++) plain(page, column.type, values[j]!);
      }
      meta.uncompressed += this.#emitPage(
        codec,
        DATA_PAGE,
        r1 - r0,
        dict ? RLE_DICTIONARY : PLAIN,
      );
    }
    meta.compressed = this.#position() - start;
    if (column.statistics) {
      meta.stats = statistics(
        column.type,
        dict ? Array.from(dict.keys()) : values,
        rows - m,
      );
    }
    return meta;
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

  /** Compresses this.#page behind its header; returns the uncompressed size. */
  #emitPage(
    codec: Codec,
    type: number,
    count: number,
    encoding: number,
  ): number {
    const body = this.#page.view();
    const packed = codec === "UNCOMPRESSED"
      ? body
      : this.#options.compress(body);
    const out = this.#out;
    const headerStart = out.length;
    const w = new ThriftWriter(out);
    w.i32(1, type).i32(2, body.length).i32(3, packed.length);
    if (type === DATA_PAGE) {
      w.struct(
        5,
        (h) => h.i32(1, count).i32(2, encoding).i32(3, RLE).i32(4, RLE),
      );
    } else {
      w.struct(7, (h) => h.i32(1, count).i32(2, encoding));
    }
    w.end();
    const header = out.length - headerStart;
    out.bytes(packed);
    return header + body.length;
  }
}

function plain(out: Bytes, type: ParquetType, v: string | number | boolean) {
  switch (type) {
    case "BYTE_ARRAY":
      out.lengthPrefixedUtf8(v as string);
      break;
    case "INT32":
      out.i32(v as number);
      break;
    case "INT64":
      out.i64(v as number);
      break;
    case "DOUBLE":
      out.f64(v as number);
      break;
    case "BOOLEAN":
      out.u8(v ? 1 : 0);
  }
}

/** A value plain-encoded as statistics hold it (strings without their length). */
export function statisticsBytes(
  type: ParquetType,
  v: string | number | boolean,
): Uint8Array {
  if (type === "BYTE_ARRAY") return UTF8.encode(v as string);
  const b = new Bytes(16);
  plain(b, type, v);
  return b.view().slice();
}

/** Min, max (plain-encoded, strings without their length) and null count. */
function statistics(
  type: ParquetType,
  values: ArrayLike<string | number | boolean>,
  nulls: number,
): Statistics {
  let min: string | number | boolean | undefined;
  let max: string | number | boolean | undefined;
  for (let j = 0; j < values.length; j++) {
    const v = values[j]!;
    // Strings here are ASCII names and ids, where UTF-16 order (JS `<`)
    // equals the UTF-8 byte order Parquet asks for.
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  if (min === undefined || max === undefined) return { nulls };
  return {
    nulls,
    min: statisticsBytes(type, min),
    max: statisticsBytes(type, max),
  };
}

/**
 * The warehouse table: its columns, the column buffer the consumer fills,
 * and the codecs (snappy of our own, gzip from node:zlib). Files are written
 * by parquet_write.ts, on hyparquet-writer's pieces.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import type { RowGroup, SchemaElement } from "hyparquet";
import type { ParquetCompression } from "../config.ts";
import { ALL_FIELDS, fieldKind, SCHEMA_VERSION } from "../model/event.ts";
import { snappyCompress } from "./snappy.ts";
import {
  type Chunk,
  type Column,
  ParquetFile,
  schemaElements,
} from "./parquet_write.ts";
import { VERSION } from "../version.ts";

/** A row as the consumer holds it: parsed fields plus provenance. */
export interface Row {
  fields: Record<string, unknown>;
  /** Event time in ms (parsed once, at validation). */
  t: number;
  partition: number;
  offset: number;
}

/** Provenance columns appended after the event fields. */
export const PROVENANCE_COLUMNS = ["kafkaPartition", "kafkaOffset"] as const;

/** Statistics are kept where readers prune on them; elsewhere they cost more than they give. */
const WITH_STATISTICS = new Set([
  "event",
  "timestamp",
  "kafkaPartition",
  "kafkaOffset",
]);
/** Columns whose values (nearly) never repeat: dictionary encoding is not tried. */
const NO_DICTIONARY = new Set(["eventId", "timestamp", "kafkaOffset"]);
const REQUIRED = new Set(["event", "eventId", "timestamp"]);

/** The table's columns and where each field goes, for the fields known now. */
interface Layout {
  columns: readonly Column[];
  index: Map<string, number>;
  timestamp: number;
  /** Per column: whether its strings are interned (`eventId` is unique per event: interning would only cost). */
  interned: readonly boolean[];
}

let layout: Layout | undefined;

/**
 * The layout of ALL_FIELDS as it is now: built-in fields, then those a
 * scenario registered (at a worker's start, before any buffer exists).
 */
function currentLayout(): Layout {
  if (layout?.index.size === ALL_FIELDS.length) return layout;
  const index = new Map(ALL_FIELDS.map((f, i) => [f, i]));
  return layout = {
    columns: columnsOf(ALL_FIELDS),
    index,
    timestamp: index.get("timestamp")!,
    interned: ALL_FIELDS.map((f) => f !== "eventId"),
  };
}

/** The table's columns: every event field (nullable but for event, eventId, timestamp), then provenance. */
export function tableColumns(): readonly Column[] {
  return currentLayout().columns;
}

function columnsOf(fields: readonly string[]): Column[] {
  return [...fields.map((name): Column => {
    const base = {
      name,
      required: REQUIRED.has(name),
      dictionary: !NO_DICTIONARY.has(name),
      statistics: WITH_STATISTICS.has(name),
    };
    switch (fieldKind(name)) {
      case "timestamp":
        return { ...base, type: "INT64", logical: "TIMESTAMP_MILLIS" };
      case "int":
        return { ...base, type: "INT32" };
      case "double":
        return { ...base, type: "DOUBLE" };
      case "boolean":
        return { ...base, type: "BOOLEAN" };
      default:
        return { ...base, type: "BYTE_ARRAY", logical: "STRING" };
    }
  }),
  ...PROVENANCE_COLUMNS.map((name): Column => ({
    name,
    type: name === "kafkaOffset" ? "INT64" : "INT32",
    required: true,
    dictionary: !NO_DICTIONARY.has(name),
    statistics: true,
  }))];
}

/** The Parquet schema the files carry, as hyparquet describes it. */
export function parquetSchema(): SchemaElement[] {
  return schemaElements(tableColumns());
}

const CODECS = {
  snappy: "SNAPPY",
  gzip: "GZIP",
  none: "UNCOMPRESSED",
} as const;
const COMPRESSORS = {
  snappy: snappyCompress,
  gzip: (page: Uint8Array) => new Uint8Array(gzipSync(page)),
  none: (page: Uint8Array) => page,
};
/**
 * Columns written without snappy: `eventId` is random hex, which snappy
 * (no entropy coding) barely shrinks, at most of a file's encoding time.
 * gzip still halves it, so gzip files compress it.
 */
const SNAPPY_SKIPS: ReadonlySet<string> = new Set(["eventId"]);

/**
 * Rows of one (date, partition), held column by column: no per-row object,
 * and repeated strings (event types, cities, ids of the same session) are
 * stored once. This is what bounds the consumer's memory. A column keeps
 * only the values present and the rows they belong to (most fields are used
 * by few event types); nulls are filled in once, at encoding.
 */
export class ColumnBuffer {
  /** Number of rows buffered. */
  size = 0;
  /** Offset of the first and last row. */
  first = -1;
  last = -1;
  readonly #layout: Layout = currentLayout();
  #values: unknown[][] = this.#layout.columns.map(() => []);
  /**
   * Row of each value, for columns some row lacks. A column every row has
   * so far (the common fields: most of the values) keeps none; they are
   * made at its first gap.
   */
  #rows: (number[] | undefined)[] = this.#layout.columns.map(() => undefined);
  #times: number[] = [];
  #offsets: number[] = [];
  #intern = new Map<string, string>();
  readonly #partition: number;

  /** Creates an empty buffer for one Kafka partition. */
  constructor(partition: number) {
    this.#partition = partition;
  }

  /** Appends one validated event (its fields), its time and offset. */
  append(fields: Record<string, unknown>, t: number, offset: number): void {
    const n = this.size;
    const { index, timestamp, interned } = this.#layout;
    for (const key in fields) {
      const i = index.get(key);
      if (i === undefined || i === timestamp) continue;
      let v = fields[key];
      if (typeof v === "string" && interned[i]) {
        const seen = this.#intern.get(v);
        if (seen === undefined) this.#intern.set(v, v);
        else v = seen;
      }
      const values = this.#values[i]!;
      // Fewer values than rows: some row lacks this column.
      if (values.length !== n) (this.#rows[i] ??= upTo(values.length)).push(n);
      values.push(v);
    }
    this.#times.push(t);
    this.#offsets.push(offset);
    if (this.first < 0) this.first = offset;
    this.last = offset;
    this.size = n + 1;
  }

  /** Returns the buffered rows as column chunks, in tableColumns() order. */
  chunks(): Chunk[] {
    const n = this.size;
    const { index, timestamp } = this.#layout;
    const chunks = [...index.values()].map((i): Chunk => {
      if (i === timestamp) return { values: this.#times };
      const values = this.#values[i] as (string | number | boolean)[];
      return values.length === n
        ? { values }
        : { values, rows: this.#rows[i] ?? upTo(values.length) };
    });
    chunks.push({ values: new Array<number>(n).fill(this.#partition) });
    chunks.push({ values: this.#offsets });
    return chunks;
  }

  /** Encodes the buffered rows as a complete Parquet file. */
  encode(options: { compression?: ParquetCompression } = {}): Uint8Array {
    const merged = createMergedFile(options);
    merged.add(this);
    return merged.finish();
  }
}

/** Returns [0, 1, ..., n - 1]. */
function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k);
}

/** Writes several buffers, one row group each, into one Parquet file. */
export function createMergedFile(
  options: { compression?: ParquetCompression } = {},
): {
  add(buffer: ColumnBuffer): void;
  copy(source: Uint8Array, group: RowGroup): void;
  drain(): Uint8Array;
  finish(): Uint8Array;
} {
  const compression = options.compression ?? "snappy";
  const file = new ParquetFile({
    columns: tableColumns(),
    codec: CODECS[compression],
    compress: COMPRESSORS[compression],
    ...(compression === "snappy" ? { uncompressed: SNAPPY_SKIPS } : {}),
    createdBy: `tvstream version ${VERSION}`,
    metadata: [
      { key: "tvstream.version", value: VERSION },
      { key: "tvstream.schema_version", value: String(SCHEMA_VERSION) },
    ],
  });
  return {
    add(buffer) {
      if (buffer.size === 0) return;
      file.rowGroup(buffer.size, buffer.chunks());
    },
    copy(source, group) {
      file.copyRowGroup(source, group);
    },
    drain() {
      return file.drain();
    },
    finish() {
      return file.finish();
    },
  };
}

/** Encodes rows (already in offset order, one partition) as a complete Parquet file. */
export function encodeRows(
  rows: readonly Row[],
  options: { compression?: ParquetCompression } = {},
): Uint8Array {
  const buffer = new ColumnBuffer(rows[0]?.partition ?? 0);
  for (const r of rows) buffer.append(r.fields, r.t, r.offset);
  return buffer.encode(options);
}

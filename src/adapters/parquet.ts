/**
 * The only importer of hyparquet-writer: encodes events as one Parquet file.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { ByteWriter, type parquetWrite, ParquetWriter } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet";
import type { ParquetCompression } from "../config.ts";
import { ALL_FIELDS, FIELDS, SCHEMA_VERSION } from "../core/event.ts";
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

/** Builds the Parquet schema: every event field nullable, then provenance. */
export function parquetSchema(): SchemaElement[] {
  const elements: SchemaElement[] = [
    { name: "root", num_children: ALL_FIELDS.length + 2 },
  ];
  for (const name of ALL_FIELDS) {
    const kind = FIELDS[name][0];
    const repetition_type = name === "event" || name === "eventId" ||
        name === "timestamp"
      ? "REQUIRED"
      : "OPTIONAL";
    switch (kind) {
      case "timestamp":
        elements.push({
          name,
          type: "INT64",
          repetition_type,
          logical_type: {
            type: "TIMESTAMP",
            isAdjustedToUTC: true,
            unit: "MILLIS",
          },
          converted_type: "TIMESTAMP_MILLIS",
        });
        break;
      case "int":
        elements.push({ name, type: "INT32", repetition_type });
        break;
      case "double":
        elements.push({ name, type: "DOUBLE", repetition_type });
        break;
      case "boolean":
        elements.push({ name, type: "BOOLEAN", repetition_type });
        break;
      default:
        elements.push({
          name,
          type: "BYTE_ARRAY",
          converted_type: "UTF8",
          logical_type: { type: "STRING" },
          repetition_type,
        });
    }
  }
  elements.push({
    name: "kafkaPartition",
    type: "INT32",
    repetition_type: "REQUIRED",
  });
  elements.push({
    name: "kafkaOffset",
    type: "INT64",
    repetition_type: "REQUIRED",
  });
  return elements;
}

const SCHEMA = parquetSchema();
const CODECS = {
  snappy: "SNAPPY",
  gzip: "GZIP",
  none: "UNCOMPRESSED",
} as const;
const FIELD_INDEX = new Map<string, number>(ALL_FIELDS.map((f, i) => [f, i]));
const TIMESTAMP_INDEX = FIELD_INDEX.get("timestamp")!;
/** Per column: whether its strings are interned (`eventId` is unique per event: interning would only cost). */
const INTERNED: readonly boolean[] = ALL_FIELDS.map((f) => f !== "eventId");

/**
 * Writer options per column. Statistics are kept where readers prune on
 * them (event type, time, offsets); elsewhere they cost more than they give.
 * The writer picks dictionary encoding where it pays; `eventId` never
 * repeats, so it is written plain without trying.
 */
const COLUMN_OPTIONS: Record<string, Record<string, unknown>> = (() => {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of [...ALL_FIELDS, ...PROVENANCE_COLUMNS]) {
    const options: Record<string, unknown> = {
      statistics: name === "event" || name === "timestamp" ||
        name === "kafkaPartition" || name === "kafkaOffset",
      offsetIndex: false,
    };
    if (name === "eventId") options["encoding"] = "PLAIN";
    out[name] = options;
  }
  return out;
})();

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
  #values: unknown[][] = ALL_FIELDS.map(() => []);
  #rows: number[][] = ALL_FIELDS.map(() => []);
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
    for (const key in fields) {
      const i = FIELD_INDEX.get(key);
      if (i === undefined || i === TIMESTAMP_INDEX) continue;
      let v = fields[key];
      if (typeof v === "string" && INTERNED[i]) {
        const seen = this.#intern.get(v);
        if (seen === undefined) this.#intern.set(v, v);
        else v = seen;
      }
      this.#values[i]!.push(v);
      this.#rows[i]!.push(n);
    }
    this.#times.push(t);
    this.#offsets.push(offset);
    if (this.first < 0) this.first = offset;
    this.last = offset;
    this.size = n + 1;
  }

  /** Returns the buffered rows as hyparquet-writer column sources. */
  columnData(): Parameters<typeof parquetWrite>[0]["columnData"] {
    const n = this.size;
    const columnData = ALL_FIELDS.map((name, i) => {
      const options = COLUMN_OPTIONS[name];
      // Epoch ms as numbers: the writer converts TIMESTAMP values to
      // BigInt itself, so converting here would do it twice.
      if (i === TIMESTAMP_INDEX) return { name, data: this.#times, ...options };
      const values = this.#values[i]!;
      if (values.length === n) return { name, data: values, ...options };
      const rows = this.#rows[i]!;
      const data = new Array<unknown>(n).fill(null);
      for (let k = 0; k < values.length; k++) data[rows[k]!] = values[k];
      return { name, data, ...options };
    });
    const partitions = new Int32Array(n).fill(this.#partition);
    const offsets = new Array<bigint>(n);
    for (let k = 0; k < n; k++) offsets[k] = BigInt(this.#offsets[k]!);
    return [
      ...columnData,
      {
        name: "kafkaPartition",
        data: partitions,
        ...COLUMN_OPTIONS["kafkaPartition"],
      },
      { name: "kafkaOffset", data: offsets, ...COLUMN_OPTIONS["kafkaOffset"] },
    ] as Parameters<typeof parquetWrite>[0]["columnData"];
  }

  /** Encodes the buffered rows as a complete Parquet file. */
  encode(options: { compression?: ParquetCompression } = {}): Uint8Array {
    const merged = createMergedFile(options);
    merged.add(this);
    return merged.finish();
  }
}

/** Writes several buffers, one row group each, into one Parquet file. */
export function createMergedFile(
  options: { compression?: ParquetCompression } = {},
): { add(buffer: ColumnBuffer): void; finish(): Uint8Array } {
  const writer = new ByteWriter();
  const file = new ParquetWriter({
    writer,
    schema: SCHEMA,
    codec: CODECS[options.compression ?? "snappy"],
    compressors: {
      GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
    },
    createdBy: `tvstream version ${VERSION}`,
    kvMetadata: [
      { key: "tvstream.version", value: VERSION },
      { key: "tvstream.schema_version", value: String(SCHEMA_VERSION) },
    ],
  });
  return {
    add(buffer) {
      if (buffer.size === 0) return;
      void file.write({
        columnData: buffer.columnData(),
        rowGroupSize: 100_000,
      });
    },
    finish() {
      file.finish();
      return new Uint8Array(writer.getBuffer());
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

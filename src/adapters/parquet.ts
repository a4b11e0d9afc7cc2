/**
 * The only importer of hyparquet-writer: encodes events as one Parquet file.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { ByteWriter, parquetWrite } from "hyparquet-writer";
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

/** Encodes rows (already in offset order) as a complete Parquet file. */
export function encodeRows(
  rows: readonly Row[],
  options: { compression?: ParquetCompression } = {},
): Uint8Array {
  const n = rows.length;
  const columnData = ALL_FIELDS.map((name) => {
    const kind = FIELDS[name][0];
    if (kind === "timestamp") {
      const data = new Array<bigint>(n);
      for (let i = 0; i < n; i++) data[i] = BigInt(rows[i]!.t);
      return { name, data };
    }
    const data = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i]!.fields[name];
      data[i] = v === undefined ? null : v;
    }
    return { name, data };
  });
  const partitions = new Int32Array(n);
  const offsets = new Array<bigint>(n);
  for (let i = 0; i < n; i++) {
    partitions[i] = rows[i]!.partition;
    offsets[i] = BigInt(rows[i]!.offset);
  }
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: [
      ...columnData,
      { name: "kafkaPartition", data: partitions },
      { name: "kafkaOffset", data: offsets },
    ] as Parameters<typeof parquetWrite>[0]["columnData"],
    schema: SCHEMA,
    codec: CODECS[options.compression ?? "snappy"],
    compressors: {
      GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
    },
    rowGroupSize: 100_000,
    createdBy: `tvstream version ${VERSION}`,
    kvMetadata: [
      { key: "tvstream.version", value: VERSION },
      { key: "tvstream.schema_version", value: String(SCHEMA_VERSION) },
    ],
  });
  return new Uint8Array(writer.getBuffer());
}

/**
 * The encoder tvstream used before its own writer: hyparquet-writer with
 * the options the consumer gave it (statistics on event, timestamp and the
 * provenance columns; eventId plain). The bench times it on the same rows
 * as the reference for the Parquet stage.
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { COLUMNS, parquetSchema, type Row } from "../src/adapters/parquet.ts";

const SCHEMA = parquetSchema();

/** Encodes rows as one snappy Parquet file with hyparquet-writer. */
export function encodeWithHyparquetWriter(rows: readonly Row[]): Uint8Array {
  const columnData = COLUMNS.map(({ name, statistics }) => {
    const data = rows.map((r) =>
      name === "timestamp"
        ? r.t
        : name === "kafkaPartition"
        ? r.partition
        : name === "kafkaOffset"
        ? BigInt(r.offset)
        : r.fields[name] ?? null
    );
    return {
      name,
      data,
      statistics,
      offsetIndex: false,
      ...(name === "eventId" ? { encoding: "PLAIN" as const } : {}),
    };
  });
  return new Uint8Array(
    parquetWriteBuffer({
      columnData,
      schema: SCHEMA,
      codec: "SNAPPY",
      rowGroupSize: 100_000,
    }),
  );
}

/**
 * hyparquet-writer configured as tvstream's own writer is: its
 * `ParquetWriter` with tvstream's snappy passed through `compressors`,
 * eventId uncompressed, PLAIN where tvstream never tries a dictionary,
 * statistics on the same columns, no page indexes. `toColumnData` (the
 * conversion from the consumer's sparse column buffer to the dense columns
 * the library takes) is separate, so the bench can time encoding alone.
 *
 * @module
 */
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource } from "hyparquet-writer/src/types.js";
import {
  type ColumnBuffer,
  parquetSchema,
  tableColumns,
} from "../src/warehouse/table.ts";
import { snappyCompress } from "../src/warehouse/snappy.ts";

let SCHEMA: ReturnType<typeof parquetSchema> | undefined;
const PLAIN_ONLY = new Set(["eventId", "timestamp", "kafkaOffset"]);

/** The buffer's rows as the library's dense columns (nulls filled in). */
export function toColumnData(buffer: ColumnBuffer): ColumnSource[] {
  const n = buffer.size;
  const columns = tableColumns();
  return buffer.chunks().map((chunk, i) => {
    const column = columns[i]!;
    let data: unknown[];
    if (!chunk.rows) data = Array.from(chunk.values);
    else {
      data = new Array(n).fill(null);
      for (let k = 0; k < chunk.values.length; k++) {
        data[chunk.rows[k]!] = chunk.values[k];
      }
    }
    if (column.type === "INT64" && column.logical === undefined) {
      data = data.map((v) => v === null ? null : BigInt(v as number));
    }
    return {
      name: column.name,
      data,
      statistics: column.statistics,
      offsetIndex: false,
      ...(PLAIN_ONLY.has(column.name) ? { encoding: "PLAIN" as const } : {}),
      ...(column.name === "eventId" ? { codec: "UNCOMPRESSED" as const } : {}),
    };
  });
}

/** Encodes dense columns as one snappy Parquet file with hyparquet-writer. */
export function encodeWithHyparquetWriter(
  columnData: ColumnSource[],
): Uint8Array {
  const writer = new ByteWriter();
  const file = new ParquetWriter({
    writer,
    schema: SCHEMA ??= parquetSchema(),
    codec: "SNAPPY",
    compressors: { SNAPPY: snappyCompress },
    statistics: false,
    createdBy: "tvstream",
  });
  file.write({ columnData, rowGroupSize: columnData[0]!.data.length });
  file.finish();
  return writer.getBytes();
}

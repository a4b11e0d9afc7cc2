/**
 * Reads a warehouse table back, for tests and chaos checks.
 *
 * @module
 */
import { listTable } from "../src/warehouse/fs.ts";
import { readParquetRows } from "../src/warehouse/parquet_read.ts";

/** One row read back: the columns asked for, and the date partition it is in. */
export interface TableRow {
  date: string;
  values: Record<string, unknown>;
}

/** Every row of `<root>/<topic>` (visible files only), with the columns given. */
export async function readTable(
  root: string,
  topic: string,
  columns: string[],
): Promise<TableRow[]> {
  const out: TableRow[] = [];
  for (const d of await listTable(root, topic)) {
    for (const f of d.files) {
      for (const values of await readParquetRows(f.path, columns)) {
        out.push({ date: d.date, values });
      }
    }
  }
  return out;
}

/**
 * Warehouse naming: where a file lives and what its name says. Pure.
 *
 * @module
 */

/** Width of zero-padded offsets in file names (sorts lexically). */
const PAD = 12;

/** Returns the data file name for a partition's offset range [first, last]. */
export function dataFileName(
  partition: number,
  first: number,
  last: number,
): string {
  return `part-${String(partition).padStart(3, "0")}-${
    String(first).padStart(PAD, "0")
  }-${String(last).padStart(PAD, "0")}.parquet`;
}

/** Returns the rejected-records file name for an offset range. */
export function rejectedFileName(
  partition: number,
  first: number,
  last: number,
): string {
  return dataFileName(partition, first, last).replace(".parquet", ".jsonl");
}

/** Parses a data or rejected file name into its partition and range. */
export function parseFileName(
  name: string,
): { partition: number; first: number; last: number } | undefined {
  const m = /^part-(\d+)-(\d+)-(\d+)\.(?:parquet|jsonl)$/.exec(name);
  if (!m) return undefined;
  return { partition: Number(m[1]), first: Number(m[2]), last: Number(m[3]) };
}

/** Returns true for names readers must skip (temp files, markers, _rejected). */
export function isHidden(name: string): boolean {
  return name.startsWith("_") || name.startsWith(".");
}

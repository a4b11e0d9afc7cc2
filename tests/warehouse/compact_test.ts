/**
 * Compaction copies the row groups of tvstream's files without decoding
 * them (codecs and statistics carried over), and decodes only files of
 * another schema. The merged file is checked by hyparquet and DuckDB.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetWriteBuffer } from "hyparquet-writer";
import { encodeRows, type Row } from "../../src/warehouse/table.ts";
import {
  readParquetRows,
  rowToEvent,
} from "../../src/warehouse/parquet_read.ts";
import { compactDay } from "../../src/warehouse/compact.ts";
import { dataFileName } from "../../src/warehouse/partition.ts";
import { eventRows, withTmpDir } from "../_helpers.ts";

const DATE = "2026-11-02";

function rows(n: number, first: number): Row[] {
  return eventRows(n, {
    households: 60,
    partition: 0,
    offset: first,
    skip: first,
  });
}

Deno.test("compactDay() copies row groups as they are: every row, each input's codec and statistics", async () => {
  await using tmp = await withTmpDir();
  const dir = `${tmp.path}/t/date=${DATE}`;
  await Deno.mkdir(dir, { recursive: true });
  const parts = [
    { rows: rows(1200, 0), compression: "snappy" as const },
    { rows: rows(800, 1200), compression: "gzip" as const },
    { rows: rows(5, 2000), compression: "none" as const },
  ];
  for (const p of parts) {
    const first = p.rows[0]!.offset;
    const last = p.rows.at(-1)!.offset;
    await Deno.writeFile(
      `${dir}/${dataFileName(0, first, last)}`,
      encodeRows(p.rows, { compression: p.compression }),
    );
  }
  const [result] = await compactDay(`${tmp.path}/t`, DATE, new Set([0]), {
    compression: "snappy",
  });
  assert.deepEqual(result, {
    date: DATE,
    partition: 0,
    merged: 3,
    rows: 2005,
  });
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(files, [dataFileName(0, 0, 2004)]);
  const path = `${dir}/${files[0]}`;
  const back = await readParquetRows(path);
  assert.deepEqual(
    back.map((r) => rowToEvent(r)),
    parts.flatMap((p) => p.rows.map((r) => r.fields)),
  );
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const groups = (await con.runAndReadAll(
      `SELECT row_group_id, compression, stats_min_value, stats_max_value FROM parquet_metadata('${path}') WHERE path_in_schema = 'kafkaOffset' ORDER BY 1`,
    )).getRows();
    assert.deepEqual(groups.map((g) => [g[1], g[2], g[3]]), [
      ["SNAPPY", "0", "1199"],
      ["GZIP", "1200", "1999"],
      ["UNCOMPRESSED", "2000", "2004"],
    ]);
    const [[count, sum]] = (await con.runAndReadAll(
      `SELECT count(*), sum(kafkaOffset) FROM '${path}'`,
    )).getRows();
    assert.equal(Number(count), 2005);
    assert.equal(Number(sum), (2004 * 2005) / 2);
  } finally {
    con.closeSync();
    db.closeSync();
  }
});

Deno.test("compactDay() decodes and re-encodes a file of another schema (fewer columns)", async () => {
  await using tmp = await withTmpDir();
  const dir = `${tmp.path}/t/date=${DATE}`;
  await Deno.mkdir(dir, { recursive: true });
  const ours = rows(300, 0);
  await Deno.writeFile(`${dir}/${dataFileName(0, 0, 299)}`, encodeRows(ours));
  // An older layout: only a few of today's columns.
  const old = rows(200, 300);
  const columns = ["event", "eventId", "timestamp", "tvId"];
  const legacy = parquetWriteBuffer({
    columnData: [
      ...columns.map((name) => ({
        name,
        data: old.map((r) =>
          name === "timestamp" ? new Date(r.t) : r.fields[name]
        ),
        type: name === "timestamp" ? "TIMESTAMP" as const : "STRING" as const,
      })),
      {
        name: "kafkaPartition",
        data: old.map(() => 0),
        type: "INT32" as const,
      },
      {
        name: "kafkaOffset",
        data: old.map((r) => BigInt(r.offset)),
        type: "INT64" as const,
      },
    ],
  });
  await Deno.writeFile(
    `${dir}/${dataFileName(0, 300, 499)}`,
    new Uint8Array(legacy),
  );
  const [result] = await compactDay(`${tmp.path}/t`, DATE, new Set([0]), {
    compression: "snappy",
  });
  assert.equal(result?.rows, 500);
  const back = await readParquetRows(`${dir}/${dataFileName(0, 0, 499)}`);
  assert.deepEqual(
    back.map((r) => rowToEvent(r)),
    [
      ...ours.map((r) => r.fields),
      ...old.map((r) =>
        Object.fromEntries(columns.map((c) => [c, r.fields[c]]))
      ),
    ],
  );
});

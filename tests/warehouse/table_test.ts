/**
 * Parquet files round-trip exactly through hyparquet and are read by an
 * independent engine, DuckDB, the way Spark, Trino and pandas users will.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import {
  ColumnBuffer,
  createMergedFile,
  encodeRows,
  type Row,
} from "../../src/warehouse/table.ts";
import {
  readParquetEvents,
  readParquetRowGroups,
  readParquetRows,
  rowToEvent,
} from "../../src/warehouse/parquet_read.ts";
import { SCHEMA_VERSION } from "../../src/model/event.ts";
import { eventRows, withTmpDir } from "../_helpers.ts";

function rows(n: number): Row[] {
  return eventRows(n, { households: 120, partition: 2, offset: 1000 });
}

Deno.test("encodeRows() round-trips every field exactly through hyparquet", async () => {
  const input = rows(5000);
  const bytes = encodeRows(input);
  const back = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer });
  assert.equal(back.length, input.length);
  for (let i = 0; i < input.length; i++) {
    const got: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(back[i]!)) {
      if (v === null) continue;
      got[k] = v instanceof Date ? v.toISOString() : v;
    }
    const { kafkaPartition, kafkaOffset, ...fields } = got;
    assert.deepEqual(fields, input[i]!.fields);
    assert.equal(kafkaPartition, 2);
    assert.equal(kafkaOffset, BigInt(1000 + i));
  }
});

Deno.test("encodeRows() writes versions in key-value metadata and typed columns", () => {
  const meta = parquetMetadata(encodeRows(rows(10)).buffer as ArrayBuffer);
  const kv = Object.fromEntries(
    (meta.key_value_metadata ?? []).map((x) => [x.key, x.value]),
  );
  assert.equal(kv["tvstream.schema_version"], String(SCHEMA_VERSION));
  assert.match(kv["tvstream.version"]!, /^\d+\.\d+\.\d+$/);
  const byName = Object.fromEntries(meta.schema.map((e) => [e.name, e]));
  assert.equal(byName["timestamp"]!.logical_type?.type, "TIMESTAMP");
  assert.equal(byName["coldStartMs"]!.type, "INT32");
  assert.equal(byName["positionSec"]!.type, "DOUBLE");
  assert.equal(byName["isLive"]!.type, "BOOLEAN");
  assert.equal(byName["kafkaOffset"]!.type, "INT64");
});

Deno.test("DuckDB reads the files: counts, types and the seed's GROUP BY query", async () => {
  await using tmp = await withTmpDir();
  const input = rows(8000);
  await Deno.mkdir(`${tmp.path}/tv_events/date=2026-11-02`, {
    recursive: true,
  });
  await Deno.writeFile(
    `${tmp.path}/tv_events/date=2026-11-02/part-a.parquet`,
    encodeRows(input.slice(0, 3000)),
  );
  await Deno.writeFile(
    `${tmp.path}/tv_events/date=2026-11-02/part-b.parquet`,
    encodeRows(input.slice(3000), { compression: "gzip" }),
  );
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const glob = `${tmp.path}/tv_events/*/*.parquet`;
    const total = await con.runAndReadAll(
      `SELECT count(*), count(DISTINCT eventId), min(date)::VARCHAR FROM read_parquet('${glob}', hive_partitioning = true)`,
    );
    const [count, distinct, date] = total.getRows()[0]!;
    assert.equal(Number(count), 8000);
    assert.equal(Number(distinct), 8000);
    assert.equal(date, "2026-11-02");
    const byEvent = await con.runAndReadAll(
      `SELECT event, COUNT(*) FROM read_parquet('${glob}') GROUP BY event ORDER BY 2 DESC`,
    );
    const expected = new Map<string, number>();
    for (const r of input) {
      expected.set(
        r.fields["event"] as string,
        (expected.get(r.fields["event"] as string) ?? 0) + 1,
      );
    }
    const got = new Map(
      byEvent.getRows().map(([e, n]) => [e as string, Number(n)]),
    );
    assert.deepEqual(got, expected);
    const types = await con.runAndReadAll(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${glob}'))`,
    );
    const t = Object.fromEntries(types.getRows().map(([n, ty]) => [n, ty]));
    assert.match(String(t["timestamp"]), /TIMESTAMP/);
    assert.equal(t["watchDurationSec"], "INTEGER");
    assert.equal(t["kafkaOffset"], "BIGINT");
    const ts = await con.runAndReadAll(
      `SELECT epoch_ms(timestamp) FROM read_parquet('${glob}') ORDER BY kafkaOffset LIMIT 1`,
    );
    assert.equal(Number(ts.getRows()[0]![0]), input[0]!.t);
  } finally {
    con.closeSync();
    db.closeSync();
  }
});

Deno.test("snappy files keep eventId uncompressed and snappy elsewhere; DuckDB reads both, gzip compresses all", async () => {
  await using tmp = await withTmpDir();
  const input = rows(3000);
  await Deno.writeFile(`${tmp.path}/s.parquet`, encodeRows(input));
  await Deno.writeFile(
    `${tmp.path}/g.parquet`,
    encodeRows(input, { compression: "gzip" }),
  );
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const codecs = async (file: string) =>
      Object.fromEntries(
        (await con.runAndReadAll(
          `SELECT path_in_schema, compression FROM parquet_metadata('${tmp.path}/${file}')`,
        )).getRows().map(([c, k]) => [String(c), String(k)]),
      );
    const s = await codecs("s.parquet");
    assert.equal(s["eventId"], "UNCOMPRESSED");
    assert.equal(s["householdId"], "SNAPPY");
    assert.equal(s["timestamp"], "SNAPPY");
    const g = await codecs("g.parquet");
    assert.equal(g["eventId"], "GZIP");
    const ids = await con.runAndReadAll(
      `SELECT eventId FROM read_parquet('${tmp.path}/s.parquet') ORDER BY kafkaOffset`,
    );
    assert.deepEqual(
      ids.getRows().map(([id]) => id),
      input.map((r) => r.fields["eventId"]),
    );
  } finally {
    con.closeSync();
    db.closeSync();
  }
});

Deno.test("readParquetRows() reads every codec the consumer writes (inspect, validate and compact use it)", async () => {
  await using tmp = await withTmpDir();
  const input = rows(300);
  for (const compression of ["snappy", "gzip", "none"] as const) {
    const path = `${tmp.path}/${compression}.parquet`;
    await Deno.writeFile(path, encodeRows(input, { compression }));
    const back = await readParquetRows(path);
    assert.deepEqual(
      back.map((r) => rowToEvent(r)),
      input.map((r) => r.fields),
      compression,
    );
  }
});

Deno.test("readParquetRowGroups() streams a file one row group at a time, all columns or some", async () => {
  await using tmp = await withTmpDir();
  const input = rows(2500);
  const file = createMergedFile({ compression: "gzip" });
  for (const [from, to] of [[0, 1000], [1000, 1001], [1001, 2500]]) {
    const buffer = new ColumnBuffer(2);
    for (const r of input.slice(from, to)) {
      buffer.append(r.fields, r.t, r.offset);
    }
    file.add(buffer);
  }
  const path = `${tmp.path}/f.parquet`;
  await Deno.writeFile(path, file.finish());
  const sizes: number[] = [];
  const all: Record<string, unknown>[] = [];
  for await (const group of readParquetRowGroups(path)) {
    sizes.push(group.length);
    all.push(...group);
  }
  assert.deepEqual(sizes, [1000, 1, 1499]);
  assert.deepEqual(all.map((r) => rowToEvent(r)), input.map((r) => r.fields));
  const some: Record<string, unknown>[] = [];
  for await (const group of readParquetRowGroups(path, ["event"])) {
    some.push(...group);
  }
  assert.deepEqual(some, input.map((r) => ({ event: r.fields["event"] })));
  // What validate reads: the events as they were sent.
  const events: Record<string, unknown>[] = [];
  for await (const group of readParquetEvents(path)) events.push(...group);
  assert.deepEqual(events, input.map((r) => r.fields));
});

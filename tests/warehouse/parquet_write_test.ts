/**
 * tvstream's Parquet writer on the shapes that stress the format: empty,
 * sparse, alternating and dense columns, one-value and high-cardinality
 * dictionaries, several pages and row groups, negative and 64-bit numbers,
 * non-ASCII text. Every file is read back by hyparquet and by DuckDB, two
 * readers that share no code with the writer.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { gzipSync } from "node:zlib";
import { DECOMPRESSORS } from "../../src/warehouse/parquet_read.ts";
import { snappyCompress } from "../../src/warehouse/snappy.ts";
import {
  type Chunk,
  type Codec,
  type Column,
  ParquetFile,
} from "../../src/warehouse/parquet_write.ts";
import { withTmpDir } from "../_helpers.ts";

const COLUMNS: Column[] = [
  {
    name: "id",
    type: "INT64",
    required: true,
    dictionary: false,
    statistics: true,
  },
  {
    name: "empty",
    type: "BYTE_ARRAY",
    logical: "STRING",
    required: false,
    dictionary: true,
    statistics: true,
  },
  {
    name: "odd",
    type: "INT32",
    required: false,
    dictionary: true,
    statistics: false,
  },
  {
    name: "sparse",
    type: "BYTE_ARRAY",
    logical: "STRING",
    required: false,
    dictionary: true,
    statistics: true,
  },
  {
    name: "same",
    type: "BYTE_ARRAY",
    logical: "STRING",
    required: true,
    dictionary: true,
    statistics: true,
  },
  {
    name: "uid",
    type: "BYTE_ARRAY",
    logical: "STRING",
    required: false,
    dictionary: true,
    statistics: false,
  },
  {
    name: "flag",
    type: "BOOLEAN",
    required: false,
    dictionary: true,
    statistics: false,
  },
  {
    name: "x",
    type: "DOUBLE",
    required: false,
    dictionary: true,
    statistics: false,
  },
  {
    name: "t",
    type: "INT64",
    logical: "TIMESTAMP_MILLIS",
    required: true,
    dictionary: false,
    statistics: true,
  },
];

type Value = string | number | boolean | null;

/** Rows `from..from+n` of the test table, as plain objects. */
function table(from: number, n: number): Record<string, Value>[] {
  const rows: Record<string, Value>[] = [];
  for (let r = from; r < from + n; r++) {
    rows.push({
      id: r * 3_000_000_007 - 2 ** 40,
      empty: null,
      odd: r % 2 ? -r * 1000 : null,
      sparse: r % 97 === 0 ? `Liège ${r % 5} 🎬` : null,
      same: "Ghent",
      uid: r % 3 ? `id-${r}-${(r * 2654435761) % 1e9}` : null,
      flag: r % 5 === 4 ? null : (r % 3 === 0 || r % 7 === 0),
      x: r % 4 ? (r % 11) / 4 - 1 : null,
      t: 1_700_000_000_000 + r * 1234,
    });
  }
  return rows;
}

/** The same rows as sparse chunks: present values and their row numbers. */
function chunks(rows: Record<string, Value>[]): Chunk[] {
  return COLUMNS.map(({ name, required }) => {
    const values: (string | number | boolean)[] = [];
    const at: number[] = [];
    rows.forEach((row, i) => {
      const v = row[name];
      if (v === null || v === undefined) return;
      values.push(v);
      at.push(i);
    });
    return required ? { values } : { values, rows: at };
  });
}

function write(groups: number[], codec: Codec): Uint8Array {
  const file = new ParquetFile({
    columns: COLUMNS,
    codec,
    compress: codec === "GZIP"
      ? (b) => new Uint8Array(gzipSync(b))
      : snappyCompress,
    createdBy: "write_test",
    metadata: [{ key: "k", value: "v" }],
  });
  let from = 0;
  for (const n of groups) {
    file.rowGroup(n, chunks(table(from, n)));
    from += n;
  }
  return file.finish();
}

const GROUPS = [45_001, 7, 1];
const EXPECTED = table(0, 45_009);

for (const codec of ["SNAPPY", "GZIP", "UNCOMPRESSED"] as const) {
  Deno.test(`ParquetFile (${codec}): hyparquet reads back every value, over pages and row groups`, async () => {
    const bytes = write(GROUPS, codec);
    const meta = parquetMetadata(bytes.buffer as ArrayBuffer);
    assert.equal(Number(meta.num_rows), EXPECTED.length);
    assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), GROUPS);
    assert.equal(meta.key_value_metadata?.[0]?.value, "v");
    const back = await parquetReadObjects({
      file: bytes.buffer as ArrayBuffer,
      compressors: DECOMPRESSORS,
    });
    assert.equal(back.length, EXPECTED.length);
    for (let i = 0; i < EXPECTED.length; i++) {
      const got = back[i]!;
      const want = EXPECTED[i]!;
      for (const { name } of COLUMNS) {
        let v = got[name] ?? null;
        if (typeof v === "bigint") v = Number(v);
        if (v instanceof Date) v = v.getTime();
        assert.equal(v, want[name], `row ${i} column ${name}`);
      }
    }
  });
}

Deno.test("ParquetFile: DuckDB reads the same values, types and statistics", async () => {
  await using tmp = await withTmpDir();
  const path = `${tmp.path}/t.parquet`;
  await Deno.writeFile(path, write(GROUPS, "SNAPPY"));
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const q = async (sql: string) => (await con.runAndReadAll(sql)).getRows();
    const [[count, ids, odd, sparse, unique, flags, x, t0]] = await q(
      `SELECT count(*), sum(id::HUGEINT)::VARCHAR, sum(odd), count(sparse), count(DISTINCT uid), count(flag) FILTER (WHERE flag), sum(x), min(epoch_ms(t)) FROM '${path}'`,
    ) as unknown[][] as [unknown[]];
    const want = (f: (r: Record<string, Value>) => boolean) =>
      EXPECTED.filter(f).length;
    assert.equal(Number(count), EXPECTED.length);
    assert.equal(
      ids,
      EXPECTED.reduce((s, r) => s + BigInt(r["id"] as number), 0n).toString(),
    );
    assert.equal(
      Number(odd),
      EXPECTED.reduce((s, r) => s + ((r["odd"] as number) ?? 0), 0),
    );
    assert.equal(Number(sparse), want((r) => r["sparse"] !== null));
    assert.equal(Number(unique), want((r) => r["uid"] !== null));
    assert.equal(Number(flags), want((r) => r["flag"] === true));
    assert.equal(
      Number(x),
      EXPECTED.reduce((s, r) => s + ((r["x"] as number) ?? 0), 0),
    );
    assert.equal(Number(t0), EXPECTED[0]!["t"]);
    const [[liege]] = await q(
      `SELECT count(*) FROM '${path}' WHERE sparse = 'Liège 2 🎬'`,
    ) as unknown[][] as [unknown[]];
    assert.equal(
      Number(liege),
      want((r) => r["sparse"] === "Liège 2 🎬"),
    );
    const types = Object.fromEntries(
      await q(`SELECT column_name, column_type FROM (DESCRIBE FROM '${path}')`),
    );
    assert.deepEqual(types, {
      id: "BIGINT",
      empty: "VARCHAR",
      odd: "INTEGER",
      sparse: "VARCHAR",
      same: "VARCHAR",
      uid: "VARCHAR",
      flag: "BOOLEAN",
      x: "DOUBLE",
      t: "TIMESTAMP WITH TIME ZONE",
    });
    // Row-group statistics as DuckDB decodes them (what pruning uses).
    const stats = await q(
      `SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('${path}') WHERE path_in_schema IN ('id', 'empty', 'same') ORDER BY 1, 2`,
    );
    const first = stats.filter((r) => Number(r[0]) === 0);
    const byColumn = Object.fromEntries(first.map((r) => [r[1], r.slice(2)]));
    assert.deepEqual(byColumn["id"]!.slice(0, 2), [
      String(EXPECTED[0]!["id"]),
      String(EXPECTED[45_000]!["id"]),
    ]);
    assert.equal(Number(byColumn["empty"]![2]), 45_001);
    assert.deepEqual(byColumn["same"]!.slice(0, 2), ["Ghent", "Ghent"]);
  } finally {
    con.closeSync();
    db.closeSync();
  }
});

Deno.test("ParquetFile.drain(): a file handed over in pieces is byte-identical to one built whole", () => {
  const build = (drain: boolean) => {
    const file = new ParquetFile({
      columns: COLUMNS,
      codec: "SNAPPY",
      compress: snappyCompress,
      createdBy: "write_test",
      metadata: [],
    });
    const parts: Uint8Array[] = [];
    let from = 0;
    for (const n of [1000, 30_000, 5]) {
      file.rowGroup(n, chunks(table(from, n)));
      from += n;
      if (drain) parts.push(file.drain());
    }
    parts.push(file.finish());
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const whole = build(false);
  assert.ok(whole.length > 100_000);
  assert.deepEqual(build(true), whole);
});

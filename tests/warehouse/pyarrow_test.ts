/**
 * A third reader, where it is installed: Arrow's C++ Parquet reader (what
 * pandas and Polars' pyarrow path use) reads a warehouse file back value by
 * value. Skipped when `python3` (or $PYARROW_PYTHON) cannot import pyarrow;
 * CI machines do not have it, so hyparquet and DuckDB are the readers every
 * run uses.
 */
import assert from "node:assert/strict";
import { ColumnBuffer, createMergedFile } from "../../src/warehouse/table.ts";
import { eventRows, withTmpDir } from "../_helpers.ts";

const PYTHON = Deno.env.get("PYARROW_PYTHON") ?? "python3";
const HAS_PYARROW = await new Deno.Command(PYTHON, {
  args: ["-c", "import pyarrow.parquet"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

const READ = `
import json, sys, datetime
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
rows = f.read().to_pylist()
def plain(v):
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    return v
print(json.dumps({
    "groups": f.metadata.num_row_groups,
    "rows": [{k: plain(v) for k, v in r.items() if v is not None} for r in rows],
}))
`;

Deno.test({
  name: "pyarrow reads every value back (snappy and gzip, several row groups)",
  ignore: !HAS_PYARROW,
  async fn() {
    await using tmp = await withTmpDir();
    const input = eventRows(3000, {
      households: 80,
      partition: 1,
      offset: 500,
    });
    for (const compression of ["snappy", "gzip"] as const) {
      const path = `${tmp.path}/${compression}.parquet`;
      // Three row groups, as a compacted file has.
      const file = createMergedFile({ compression });
      for (const [from, to] of [[0, 1000], [1000, 1001], [1001, 3000]]) {
        const buffer = new ColumnBuffer(1);
        for (const r of input.slice(from, to)) {
          buffer.append(r.fields, r.t, r.offset);
        }
        file.add(buffer);
      }
      await Deno.writeFile(path, file.finish());
      const out = await new Deno.Command(PYTHON, {
        args: ["-c", READ, path],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const back = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.equal(back.groups, 3);
      assert.equal(back.rows.length, input.length);
      for (let i = 0; i < input.length; i++) {
        const { kafkaPartition, kafkaOffset, ...fields } = back.rows[i];
        assert.deepEqual(fields, input[i]!.fields, `${compression} row ${i}`);
        assert.equal(kafkaPartition, 1);
        assert.equal(kafkaOffset, 500 + i);
      }
    }
  },
});

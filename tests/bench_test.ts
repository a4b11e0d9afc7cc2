/**
 * The short version of `deno task bench`: every stage runs end to end and
 * the results file is complete. Speeds are not asserted (CI machines are
 * noisy; targets are checked by the full bench); what each stage delivered
 * is: catch-up lands every row, and the size target holds.
 */
import assert from "node:assert/strict";
import { hasLibrdkafka } from "../tools/mock_cluster.ts";
import { findChromium } from "../tools/browser.ts";
import { withTmpDir } from "./_helpers.ts";

interface Stage {
  stage: string;
  events: number;
  eventsPerSec: number;
  met: boolean | null;
  note?: string;
}

Deno.test({
  name: "deno task bench --quick runs every stage and writes complete results",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using tmp = await withTmpDir();
    const out = `${tmp.path}/quick.json`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../bench/bench.ts", import.meta.url).pathname,
        "--quick",
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, stderr.slice(-2000));
    const report = JSON.parse(await Deno.readTextFile(out));
    assert.equal(report.quick, true);
    assert.ok(report.machine.cores >= 1);
    // Generation on one thread and through `sample --threads`: the merged
    // stream has every event asked for.
    const generated = (report.results as Stage[]).filter((s) =>
      s.stage.startsWith("generate (")
    );
    assert.deepEqual(
      generated.map((s) => s.stage.replace(/\d+/, "N")),
      [
        "generate (N thread, JSON as UTF-8)",
        "generate (sample --threads N, merged in order)",
      ],
    );
    assert.equal(generated[1]!.events, generated[0]!.events);
    const stages = new Map<string, Stage>(
      (report.results as Stage[]).map((s) => [s.stage.replace(/ \(.*/, ""), s]),
    );
    const expected = [
      "generate",
      "run embedded backfill",
      ...(await findChromium()
        ? [
          "run embedded, --http off",
          "run embedded, dashboard open in Chromium",
        ]
        : ["run embedded, dashboard open"]),
      "parquet buffer + encode",
      "hyparquet-writer, same rows",
      "parquet size vs DuckDB",
      ...(hasLibrdkafka()
        ? [
          "bare kafkajs, same messages pre-serialised",
          "bare kafkajs + tvstream's varint writers",
          "tvstream produce",
          "consumer catch-up",
          "run --bootstrap end to end",
        ]
        : []),
      "backfill 2026-11-01 to 2026-11-01T06:00:00Z, wall clock",
      "DuckDB: same events, JSON lines -> Parquet",
      ...(hasLibrdkafka()
        ? [
          "run --bootstrap, wall clock",
          "seed demo producer",
        ]
        : []),
    ];
    assert.deepEqual([...stages.keys()], expected);
    for (const [name, s] of stages) {
      if (s.note?.startsWith("skipped")) continue;
      assert.ok(s.events > 0, `${name}: no events`);
      if (name !== "parquet size vs DuckDB") {
        assert.ok(s.eventsPerSec > 0, `${name}: no rate`);
      }
    }
    assert.equal(stages.get("parquet size vs DuckDB")!.met, true);
    const catchUp = stages.get("consumer catch-up");
    if (catchUp) {
      assert.equal(catchUp.note, `all ${catchUp.events} rows`);
    }
  },
});

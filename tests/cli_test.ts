/**
 * The real command line, run as a subprocess: exit codes, one-line errors,
 * no stack traces, help for every subcommand.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../src/config.ts";
import { readTable } from "../tools/read_table.ts";
import { withTmpDir } from "./_helpers.ts";
import { spawnTvstream, tvstream } from "./_cli.ts";
import { freePort } from "../tools/net.ts";

Deno.test("tvstream --help and every subcommand's --help exit 0", async () => {
  const top = await tvstream(["--help"]);
  assert.equal(top.code, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`\\b${c}\\b`));
  for (const c of COMMANDS) {
    const r = await tvstream([c, "--help"]);
    assert.equal(r.code, 0, `${c} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^tvstream ${c}:`));
  }
});

Deno.test("tvstream --version prints the version", async () => {
  const r = await tvstream(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^tvstream \d+\.\d+\.\d+\n$/);
});

const USAGE: string[][] = [
  ["--nope"],
  ["--rate", "abc"],
  ["--from", "2026-11-02", "--to", "2026-11-01"],
  ["produce"],
  ["sample", "--count", "-1"],
  ["sample", "--threads", "2"],
  ["sample", "--from", "2026-11-02", "--threads", "2", "--shard", "1/2"],
  ["frobnicate"],
];
for (const args of USAGE) {
  Deno.test(`tvstream ${args.join(" ")} is a usage error: exit 2, one line, no stack`, async () => {
    const r = await tvstream(args);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /^tvstream: /);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  });
}

Deno.test("tvstream with an unwritable --warehouse exits 1 naming it", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(`${tmp.path}/file`, "x");
  const r = await tvstream([
    "--warehouse",
    `${tmp.path}/file/wh`,
    "--events",
    "5",
  ], { cwd: tmp.path });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Cannot write to --warehouse ".*file\/wh"/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
});

Deno.test("tvstream with an unreachable broker exits 1 within the timeout", async () => {
  await using tmp = await withTmpDir();
  const started = Date.now();
  const r = await tvstream(
    [
      "produce",
      "--bootstrap",
      "127.0.0.1:1",
      "--connect-timeout",
      "3",
      "--events",
      "5",
    ],
    { cwd: tmp.path },
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Cannot reach Kafka at 127\.0\.0\.1:1/);
  assert.doesNotMatch(r.stderr, /\bat .*\.(ts|js):\d+/);
  assert.ok(Date.now() - started < 30_000, "gave up within the timeout");
});

Deno.test("tvstream --debug shows the stack of a runtime failure", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(`${tmp.path}/file`, "x");
  const r = await tvstream(["--warehouse", `${tmp.path}/file/wh`, "--debug"], {
    cwd: tmp.path,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\bat .*\.ts:\d+/);
});

Deno.test("tvstream run writes readable Parquet and a checkpoint, then resumes exactly", async () => {
  await using tmp = await withTmpDir();
  const args = [
    "--from",
    "2026-11-02T19:00:00Z",
    "--to",
    "2026-11-02T21:00:00Z",
    "--households",
    "40",
    "--rate",
    "0",
    "--quiet",
  ];
  const first = await tvstream([...args, "--events", "3000"], {
    cwd: tmp.path,
  });
  assert.equal(first.code, 0, first.stderr);
  const cp = JSON.parse(
    await Deno.readTextFile(`${tmp.path}/chk/tv_events/partitions/0.json`),
  );
  assert.equal(cp.next, "3000");
  const second = await tvstream(args, { cwd: tmp.path });
  assert.equal(second.code, 0, second.stderr);
  const whole = await tvstream(["inspect", "--json"], { cwd: tmp.path });
  const info = JSON.parse(whole.stdout);
  // The same window in one go, elsewhere: the two runs add up to it exactly.
  await using other = await withTmpDir();
  const once = await tvstream(args, { cwd: other.path });
  assert.equal(once.code, 0, once.stderr);
  const single = JSON.parse(
    (await tvstream(["inspect", "--json"], { cwd: other.path })).stdout,
  );
  assert.ok(info.rows > 3000);
  assert.equal(info.rows, single.rows);
  assert.deepEqual(info.byEvent, single.byEvent);
});

Deno.test("a finished backfill closes its last whole day: _SUCCESS and compaction without waiting for --late-grace", async () => {
  await using tmp = await withTmpDir();
  const table = `${tmp.path}/warehouse/tv_events`;
  const listing = (date: string) =>
    [...Deno.readDirSync(`${table}/date=${date}`)].map((e) => e.name).sort();
  const run = (cwd: string, to: string) =>
    tvstream([
      "run",
      "--from",
      "2026-11-02T21:00:00Z",
      "--to",
      to,
      "--households",
      "25",
      "--rate",
      "0",
      "--max-file-rows",
      "1500",
      "--quiet",
    ], { cwd });
  // The window ends at midnight: both days are complete.
  const r = await run(tmp.path, "2026-11-04T00:00:00Z");
  assert.equal(r.code, 0, r.stderr);
  for (const date of ["2026-11-02", "2026-11-03"]) {
    const files = listing(date);
    assert.ok(files.includes("_SUCCESS"), `${date}: ${files}`);
    assert.equal(
      files.filter((f) => f.endsWith(".parquet")).length,
      1,
      `${date}: ${files}`,
    );
  }
  // validate reads the warehouse back: every event, no violation.
  const v = await tvstream(["validate", "--json"], { cwd: tmp.path });
  const report = JSON.parse(v.stdout);
  const rows = await readTable(`${tmp.path}/warehouse`, "tv_events", [
    "eventId",
  ]);
  assert.ok(rows.length > 5_000, `${rows.length} rows`);
  assert.equal(report.events, rows.length);
  assert.equal(
    Object.values(report.violations as Record<string, { count: number }>)
      .reduce((s, x) => s + x.count, 0),
    0,
  );
  // A window ending mid-day leaves that day open.
  await using other = await withTmpDir();
  const partial = await run(other.path, "2026-11-03T12:00:00Z");
  assert.equal(partial.code, 0, partial.stderr);
  const open = [
    ...Deno.readDirSync(`${other.path}/warehouse/tv_events/date=2026-11-03`),
  ].map((e) => e.name);
  assert.ok(!open.includes("_SUCCESS"), `${open}`);
});

Deno.test("tvstream sample --seed is byte-identical across runs", async () => {
  const args = [
    "sample",
    "-n",
    "200",
    "--seed",
    "9",
    "--from",
    "2026-11-03T20:00:00Z",
  ];
  const a = await tvstream(args);
  const b = await tvstream(args);
  assert.equal(a.code, 0);
  assert.equal(a.stdout.split("\n").filter(Boolean).length, 200);
  assert.equal(a.stdout, b.stdout);
  const c = await tvstream([
    ...args.slice(0, 4),
    "10",
    "--from",
    "2026-11-03T20:00:00Z",
  ]);
  assert.notEqual(a.stdout, c.stdout);
});

Deno.test("tvstream sample without --from never emits future timestamps", async () => {
  const before = Date.now();
  const r = await tvstream(["sample", "-n", "50"]);
  assert.equal(r.code, 0);
  for (const line of r.stdout.trim().split("\n")) {
    assert.ok(Date.parse(JSON.parse(line).timestamp) <= before + 5_000);
  }
});

Deno.test("tvstream validate reads stdin and exits 1 on broken data", async () => {
  const good = await tvstream([
    "sample",
    "-n",
    "3000",
    "--from",
    "2026-11-03T19:00:00Z",
    "--households",
    "50",
  ]);
  const ok = await tvstream(["validate", "-", "--json"], {
    stdin: good.stdout,
  });
  const report = JSON.parse(ok.stdout);
  const violations = Object.values(
    report.violations as Record<string, { count: number }>,
  )
    .reduce((a, v) => a + v.count, 0);
  assert.equal(violations, 0, ok.stdout.slice(0, 2000));
  const broken = good.stdout.replace(
    /"positionSec":(\d+)/,
    '"positionSec":"$1"',
  );
  const bad = await tvstream(["validate", "-"], { stdin: broken });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /schema\s+1\b/);
});

Deno.test({
  name:
    "tvstream with no flags writes Parquet within seconds and exits 0 on Ctrl-C with the checkpoint saved",
  sanitizeResources: false,
}, async () => {
  await using tmp = await withTmpDir();
  // A larger population so that live events arrive quickly at any hour.
  const child = spawnTvstream([
    "--households",
    "20000",
    "--flush-interval",
    "2",
  ], { cwd: tmp.path });
  const deadline = Date.now() + 30_000;
  let files: string[] = [];
  while (Date.now() < deadline && files.length === 0) {
    await new Promise((r) => setTimeout(r, 500));
    files = [];
    try {
      for await (const d of Deno.readDir(`${tmp.path}/warehouse/tv_events`)) {
        if (!d.name.startsWith("date=")) continue;
        for await (
          const f of Deno.readDir(`${tmp.path}/warehouse/tv_events/${d.name}`)
        ) {
          if (f.name.endsWith(".parquet")) files.push(f.name);
        }
      }
    } catch { /* not there yet */ }
  }
  child.kill("SIGINT");
  const status = await child.status;
  const err = await new Response(child.stderr).text();
  assert.ok(files.length > 0, `no Parquet file before Ctrl-C: ${err}`);
  assert.equal(status.code, 0, err);
  const cp = JSON.parse(
    await Deno.readTextFile(`${tmp.path}/chk/tv_events/partitions/0.json`),
  );
  assert.ok(Number(cp.next) > 0);
  const info = JSON.parse(
    (await tvstream(["inspect", "--json"], { cwd: tmp.path })).stdout,
  );
  assert.equal(
    info.rows,
    Number(cp.next),
    "every generated event up to the checkpoint is in the warehouse",
  );
  assert.ok(
    Date.parse(info.partitions[0].last) <= Date.now(),
    "live timestamps are never in the future",
  );
});

for (const command of ["run", "produce", "consume"]) {
  Deno.test(`Ctrl-C while ${command} is still reaching unreachable brokers stops at once and exits 0`, async () => {
    await using tmp = await withTmpDir();
    // A port nothing listens on: kafkajs retries the connection for up to
    // --connect-timeout (30 s).
    const dead = `127.0.0.1:${freePort()}`;
    const child = spawnTvstream(
      [command, "--bootstrap", dead, "--http", "off"],
      { cwd: tmp.path },
    );
    await new Promise((r) => setTimeout(r, 2500));
    const stopped = Date.now();
    child.kill("SIGINT");
    const status = await child.status;
    const seconds = (Date.now() - stopped) / 1000;
    const err = await new Response(child.stderr).text();
    assert.equal(status.code, 0, err);
    assert.ok(seconds < 10, `stopped after ${seconds} s: ${err}`);
    assert.match(err, /done/);
  });
}

Deno.test("tvstream sample --shard: shards 1/2 and 2/2 print the unsharded stream between them", async () => {
  const window = [
    "sample",
    "-n",
    "1000000",
    "--from",
    "2026-11-03T19:00:00Z",
    "--to",
    "2026-11-03T20:00:00Z",
    "--households",
    "30",
  ];
  const lines = (out: string) => out.trim().split("\n");
  const whole = lines((await tvstream(window)).stdout);
  const one = lines((await tvstream([...window, "--shard", "1/2"])).stdout);
  const two = lines((await tvstream([...window, "--shard", "2/2"])).stdout);
  assert.ok(
    one.length > 100 && two.length > 100,
    `${one.length}/${two.length}`,
  );
  assert.deepEqual([...one, ...two].sort(), [...whole].sort());
});

Deno.test("tvstream sample --threads 3 writes the one-thread stream byte for byte, with a scenario and an incident", async () => {
  const window = [
    "sample",
    "-n",
    "150000",
    "--from",
    "2026-11-03T18:00:00Z",
    "--to",
    "2026-11-04T01:00:00Z",
    "--households",
    "250",
    "--scenario",
    "demo",
    "--incident",
    'cdn_outage cdn="Flix Edge" at=19:30 for=30m severity=0.5',
  ];
  const one = await tvstream([...window, "--threads", "1"]);
  const three = await tvstream([...window, "--threads", "3"]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(three.code, 0, three.stderr);
  const lines = one.stdout.trim().split("\n");
  // More than a few chunks, and cut short by -n, not the window.
  assert.equal(lines.length, 150_000);
  assert.match(one.stdout, /CDN-504/);
  assert.ok(three.stdout === one.stdout, "the merged stream differs");
});

Deno.test("tvstream sample --threads 0 is a usage error naming --threads", async () => {
  const r = await tvstream([
    "sample",
    "--from",
    "2026-11-03",
    "--threads",
    "0",
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--threads 0: expected a number from 1 to 64/);
  assert.equal(r.stdout, "");
});

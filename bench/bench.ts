/**
 * `deno task bench`: the performance suite. Each stage runs on fixed seeds,
 * most in their own process so that peak RSS is the stage's own; the table
 * is printed and written as JSON under bench/results/.
 *
 * Stages: generation only, on one thread and through `sample --threads`;
 * `run` embedded backfill end to end; Kafka produce
 * beside a bare kafkajs producer; consumer catch-up from a full topic;
 * `run --bootstrap` end to end; Parquet encoding and size beside DuckDB.
 * Kafka stages start kcat's mock cluster and are skipped without kcat.
 *
 * Usage: deno task bench [--quick] [--events N] [--backfill N]
 *        deno task bench --stage generate [--events N] [--threads N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { advertiserNames } from "../src/model/faker.ts";
import { ColumnBuffer, encodeRows, type Row } from "../src/warehouse/table.ts";
import {
  encodeWithHyparquetWriter,
  toColumnData,
} from "./_hyparquet_writer.ts";
import { createSimulator } from "../src/model/simulator.ts";
import { Utf8Lines } from "../src/kafka/lines.ts";
import { parseConfig } from "../src/config.ts";
import { writeSharded } from "../src/generator/shards.ts";
import { Browser, findChromium } from "../tools/browser.ts";
import { freePort } from "../tools/net.ts";
import { stageBootstrapWall, stageDayBackfill } from "./time_to_data.ts";
import {
  log,
  measure,
  median,
  outputFlags,
  peakRssMb,
  row,
  runStage,
  type StageResult,
} from "./_stage.ts";
import {
  hasLibrdkafka,
  type MockCluster,
  startMockCluster,
} from "../tools/mock_cluster.ts";

const FROM = "2026-11-02T00:00:00Z";
const TO = "2026-11-09T00:00:00Z";

/**
 * Stage 1, run in a child process: generation only, each event's JSON
 * encoded to UTF-8 bytes (as every sink and `sample` do) and dropped. With
 * one thread, the simulator alone; with more, `sample --threads` itself:
 * sampler workers, one shard each, merged back into the stream's order.
 */
async function stageGenerate(n: number, threads: number): Promise<StageResult> {
  const { events, bytes, seconds } = threads === 1
    ? generateOnOneThread(n)
    : await generateOnThreads(n, threads);
  return row(
    threads === 1
      ? "generate (1 thread, JSON as UTF-8)"
      : `generate (sample --threads ${threads}, merged in order)`,
    events,
    seconds,
    bytes,
    peakRssMb(),
    threads === 1 ? "reference" : ">= 500,000 ev/s",
    threads === 1 ? null : events / seconds >= 500_000,
  );
}

/** The generation stage's stream: a week of 4,000 households from Monday 00:00. */
const GENERATE_HOUSEHOLDS = 4000;

/** What a generation run made, and how long it took. */
interface Generated {
  events: number;
  bytes: number;
  seconds: number;
}

/** The simulator on this thread, as `sample` without workers; timed from its first event. */
function generateOnOneThread(n: number): Generated {
  const sim = createSimulator({
    seed: 1,
    households: GENERATE_HOUSEHOLDS,
    startMs: Date.parse(FROM),
    endMs: Date.parse(TO),
    advertisers: advertiserNames(),
  });
  // What `sample` does, without stdout: each event written as UTF-8.
  const lines = new Utf8Lines();
  let bytes = 0;
  let events = 0;
  const started = performance.now();
  for (; events < n; events++) {
    const r = sim.nextRecord();
    if (!r) break;
    lines.pushEvent(r);
    if (lines.size >= 1 << 20) {
      bytes += lines.size;
      lines.clear();
    }
  }
  bytes += lines.size - events; // the JSON, not the newlines
  return { events, bytes, seconds: (performance.now() - started) / 1000 };
}

/**
 * `tvstream sample --threads`: the function `sample` hands a split sample
 * to, its output dropped (it reports how many events it wrote); timed from
 * its start, workers' start-up included.
 */
async function generateOnThreads(
  n: number,
  threads: number,
): Promise<Generated> {
  const config = parseConfig([
    "sample",
    "--from",
    FROM,
    "--to",
    TO,
    "--households",
    String(GENERATE_HOUSEHOLDS),
    "--seed",
    "1",
    "-n",
    String(n),
    "--threads",
    String(threads),
  ]);
  if (config.command !== "sample") throw new Error("not a sample config");
  let bytes = 0;
  const started = performance.now();
  const events = await writeSharded({
    settings: config.generator,
    fromMs: Date.parse(FROM),
    limit: n,
    threads,
  }, (b) => {
    bytes += b.length;
    return Promise.resolve();
  });
  return {
    events,
    bytes: bytes - events,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Stage 6, in process: Parquet encoding alone, and size beside DuckDB. */
async function stageParquet(n: number, dir: string): Promise<StageResult[]> {
  const sim = createSimulator({
    seed: 2,
    households: 3000,
    startMs: Date.parse("2026-11-03T00:00:00Z"),
    endMs: Date.parse(TO),
    advertisers: advertiserNames(),
  });
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const e = sim.next()!;
    rows.push({
      fields: JSON.parse(JSON.stringify(e)),
      t: Date.parse(e.timestamp),
      partition: 0,
      offset: i,
    });
  }
  // The consumer encodes files of --max-file-rows (10,000) rows from its
  // column buffers in a long-running worker: fill the buffers first, warm
  // up once, then time encoding alone.
  const FILE_ROWS = 10_000;
  const buffers: ColumnBuffer[] = [];
  for (let i = 0; i < n; i += FILE_ROWS) {
    const b = new ColumnBuffer(0);
    for (const r of rows.slice(i, i + FILE_ROWS)) {
      b.append(r.fields, r.t, r.offset);
    }
    buffers.push(b);
  }
  buffers[0]!.encode();
  const started = performance.now();
  let encoded = 0;
  for (const b of buffers) encoded += b.encode().length;
  const seconds = (performance.now() - started) / 1000;
  // The same buffers through hyparquet-writer configured alike (codec,
  // encodings and statistics per column), converted to its dense columns
  // outside the timing.
  const dense = buffers.map(toColumnData);
  encodeWithHyparquetWriter(dense[0]!);
  const libStarted = performance.now();
  let libEncoded = 0;
  for (const d of dense) libEncoded += encodeWithHyparquetWriter(d).length;
  const libSeconds = (performance.now() - libStarted) / 1000;
  // Size is compared on a file of the consumer's default size (DuckDB
  // rewrites the same rows with the same codec).
  const bytes = encodeRows(rows.slice(0, FILE_ROWS));
  const ours = `${dir}/ours.parquet`;
  await Deno.writeFile(ours, bytes);
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  let duck = 0;
  try {
    await con.run(
      `COPY (SELECT * FROM read_parquet('${ours}')) TO '${dir}/duck.parquet' (FORMAT parquet, COMPRESSION snappy)`,
    );
    duck = (await Deno.stat(`${dir}/duck.parquet`)).size;
  } finally {
    con.closeSync();
    db.closeSync();
  }
  const ratio = bytes.length / duck;
  return [
    row(
      "parquet buffer + encode (snappy, warm, 10k-row files)",
      n,
      seconds,
      encoded,
      null,
      "(feeds catch-up)",
      null,
      `${(encoded / n).toFixed(1)} B/row; ${
        ((n / seconds) / (n / libSeconds)).toFixed(1)
      }x hyparquet-writer`,
    ),
    row(
      "hyparquet-writer, same rows (reference)",
      n,
      libSeconds,
      libEncoded,
      null,
      "(reference)",
      null,
      `${(libEncoded / n).toFixed(1)} B/row`,
    ),
    {
      stage: "parquet size vs DuckDB",
      events: Math.min(FILE_ROWS, n),
      seconds: 0,
      eventsPerSec: 0,
      mbPerSec: 0,
      peakRssMb: null,
      target: "<= 1.25x",
      met: ratio <= 1.25,
      note: `ours ${(bytes.length / 1e6).toFixed(2)} MB, DuckDB ${
        (duck / 1e6).toFixed(2)
      } MB, ratio ${ratio.toFixed(2)}`,
    },
  ];
}

/** Stage 2: `tvstream run` embedded backfill, end to end. */
async function stageEmbedded(n: number, dir: string): Promise<StageResult> {
  const { s, peakRssMb } = await runStage("embedded run", backfillArgs(n), dir);
  const rows = Number(s["rows"]);
  const bytes = await dirBytes(`${dir}/warehouse`);
  return row(
    `run embedded backfill (${
      n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${n / 1e3}k`
    } events)`,
    rows,
    Number(s["seconds"]),
    bytes,
    peakRssMb,
    ">= 150,000 ev/s; RSS <= 300 MB",
    rows / Number(s["seconds"]) >= 150_000 && (peakRssMb ?? 0) <= 300,
    "MB/s = Parquet written",
  );
}

/** The embedded backfill every embedded stage runs: n events of a week, 8,000 households. */
function backfillArgs(n: number): string[] {
  return [
    "run",
    "--from",
    FROM,
    "--to",
    TO,
    "--households",
    "8000",
    "--rate",
    "0",
    "--events",
    String(n),
  ];
}

/** One round of the live-view stage: the backfill, its own output, `--http`. */
function liveViewArgs(n: number, dir: string, name: string, http: string) {
  return [...backfillArgs(n), "--http", http, ...outputFlags(dir, name)];
}

/**
 * The live view's cost: the embedded backfill with `--http off`, and with
 * the dashboard open in headless Chromium on the same machine, in
 * interleaved rounds; the median of each.
 */
async function stageLiveView(
  n: number,
  rounds: number,
  dir: string,
): Promise<StageResult[]> {
  const chromium = await findChromium();
  if (!chromium) {
    return [
      row(
        "run embedded, dashboard open",
        0,
        1,
        0,
        null,
        "",
        null,
        "skipped: chromium not installed",
      ),
    ];
  }
  const browser = await Browser.launch(chromium);
  const off: number[] = [], on: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const a = await runStage(
        "run --http off",
        liveViewArgs(n, dir, `off${r}`, "off"),
        dir,
      );
      off.push(Number(a.s["rows"]) / Number(a.s["seconds"]));
      on.push(await liveViewRound(browser, n, dir, r));
    }
  } finally {
    await browser.close();
  }
  const rateOn = median(on, (x) => x), rateOff = median(off, (x) => x);
  const ratio = rateOn / rateOff;
  const note = `${rounds} interleaved rounds, median; on/off ${
    ratio.toFixed(3)
  }`;
  return [
    row(
      "run embedded, --http off",
      n,
      n / rateOff,
      0,
      null,
      "reference",
      null,
      note,
    ),
    row(
      "run embedded, dashboard open in Chromium",
      n,
      n / rateOn,
      0,
      null,
      ">= 0.95x --http off",
      ratio >= 0.95,
      note,
    ),
  ];
}

/** One run with the dashboard open in `browser` from as soon as it is served. */
async function liveViewRound(
  browser: Browser,
  n: number,
  dir: string,
  r: number,
): Promise<number> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}/`;
  const run = runStage(
    "run with the dashboard open",
    liveViewArgs(n, dir, `on${r}`, `127.0.0.1:${port}`),
    dir,
  );
  let settled = false;
  run.finally(() => settled = true).catch(() => {});
  while (!settled) {
    const up = await fetch(url).then((res) =>
      res.body?.cancel().then(() => true)
    ).catch(() => false);
    if (up) {
      await browser.open(url);
      break;
    }
    await new Promise((res) => setTimeout(res, 20));
  }
  const { s } = await run;
  await browser.open("about:blank");
  return Number(s["rows"]) / Number(s["seconds"]);
}

async function dirBytes(path: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(path)) {
    const p = `${path}/${e.name}`;
    total += e.isDirectory ? await dirBytes(p) : (await Deno.stat(p)).size;
  }
  return total;
}

async function mockCluster(): Promise<MockCluster | undefined> {
  return hasLibrdkafka() ? await startMockCluster() : undefined;
}

/** Stage 3b: a bare kafkajs producer sending pre-serialised messages. */
async function stageBareKafkajs(
  bootstrap: string,
  n: number,
  dir: string,
  topic: string,
  patched: boolean,
): Promise<StageResult> {
  const r = await measure([
    new URL("./_bare_kafkajs.ts", import.meta.url).pathname,
    "--bootstrap",
    bootstrap,
    "--events",
    String(n),
    "--topic",
    topic,
    "--from",
    FROM,
    "--to",
    TO,
    ...(patched ? ["--patched"] : []),
  ], dir);
  if (r.code !== 0) throw new Error(`bare kafkajs failed: ${r.stderr}`);
  const { events, seconds, bytes } = JSON.parse(r.stdout.trim());
  return row(
    patched
      ? "bare kafkajs + tvstream's varint writers"
      : "bare kafkajs, same messages pre-serialised",
    events,
    seconds,
    bytes,
    null,
    "(reference)",
    null,
  );
}

/** Stage 3a: `tvstream produce` (generation + produce), same cluster, same run. */
async function stageProduce(
  bootstrap: string,
  n: number,
  dir: string,
  topic: string,
  compression: string,
) {
  const { s, peakRssMb } = await runStage("produce", [
    "produce",
    "--bootstrap",
    bootstrap,
    "--topic",
    topic,
    "--from",
    FROM,
    "--to",
    TO,
    "--households",
    "4000",
    "--seed",
    "3",
    "--rate",
    "0",
    "--events",
    String(n),
    "--compression",
    compression,
    "--checkpoint",
    `${dir}/chk-${topic}`,
  ], dir);
  // From the first send to the last acknowledgement, as the bare producer
  // is timed: process start-up, connecting and topic creation are not
  // producing.
  return {
    events: Number(s["generated"]),
    seconds: Number(s["active_seconds"]) || Number(s["seconds"]),
    peak: peakRssMb,
  };
}

async function stageCatchUp(
  bootstrap: string,
  dir: string,
  topic: string,
  expected: number,
): Promise<StageResult> {
  const idle = 2;
  const { s, peakRssMb } = await runStage("consume", [
    "consume",
    "--bootstrap",
    bootstrap,
    "--topic",
    topic,
    "--until-idle",
    String(idle),
    ...outputFlags(dir, "catchup"),
  ], dir);
  const rows = Number(s["rows"]);
  // From the first record to the last flush: connecting and joining the
  // group, and the idle wait, are not catch-up.
  const seconds = Number(s["active_seconds"]) || Number(s["seconds"]) - idle;
  const bytes = await dirBytes(`${dir}/wh-catchup`);
  return row(
    "consumer catch-up (Kafka -> Parquet)",
    rows,
    seconds,
    bytes,
    peakRssMb,
    ">= 100,000 ev/s",
    rows / seconds >= 100_000,
    rows === expected ? `all ${rows} rows` : `rows ${rows} of ${expected}`,
  );
}

async function stageRunBootstrap(
  bootstrap: string,
  n: number,
  dir: string,
): Promise<StageResult> {
  const { s, peakRssMb } = await runStage("run --bootstrap", [
    "run",
    "--bootstrap",
    bootstrap,
    "--topic",
    "bench_e2e",
    "--from",
    FROM,
    "--to",
    TO,
    "--households",
    "4000",
    "--rate",
    "0",
    "--events",
    String(n),
    "--kafka-compression",
    "gzip",
    ...outputFlags(dir, "e2e"),
  ], dir);
  const rows = Number(s["rows"]);
  // From the first event sent to the last row landed: process start-up and
  // leaving the group are not throughput. Joining the group (about 3 s on
  // kcat's mock) overlaps producing and is counted.
  const seconds = Number(s["active_seconds"]) || Number(s["seconds"]);
  return row(
    "run --bootstrap end to end",
    rows,
    seconds,
    await dirBytes(`${dir}/wh-e2e`),
    peakRssMb,
    ">= 40,000 ev/s",
    rows / seconds >= 40_000,
    `${s["seconds"]} s wall in all`,
  );
}

/** Prints the results as an aligned table. */
export function formatTable(results: StageResult[]): string {
  const head = [
    "stage",
    "events",
    "s",
    "events/s",
    "MB/s",
    "peak RSS MB",
    "target",
    "met",
    "note",
  ];
  const body = results.map((r) => [
    r.stage,
    String(r.events),
    String(r.seconds),
    r.eventsPerSec ? r.eventsPerSec.toLocaleString("en-US") : "",
    r.mbPerSec ? String(r.mbPerSec) : "",
    r.peakRssMb === null ? "" : String(r.peakRssMb),
    r.target,
    r.met === null ? "" : r.met ? "yes" : "NO",
    r.note ?? "",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((b) => b[i]!.length))
  );
  const fmt = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [
    fmt(head),
    "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |",
    ...body.map(fmt),
  ].join("\n");
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      stage: { type: "string" },
      events: { type: "string" },
      threads: { type: "string" },
      backfill: { type: "string" },
      out: { type: "string" },
    },
  });
  if (values.stage === "generate") {
    const n = Number(values.events ?? 2_000_000);
    if (values.threads !== undefined) {
      const threads = Number(values.threads);
      console.log(JSON.stringify(await stageGenerate(n, threads)));
      return;
    }
    const dir = await Deno.makeTempDir({ prefix: "tvstream-bench-" });
    try {
      console.log(formatTable(await stageGenerateApart(n, dir)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    return;
  }
  const quick = values.quick;
  const dir = await Deno.makeTempDir({ prefix: "tvstream-bench-" });
  const results: StageResult[] = [];
  try {
    if (values.stage === "time-to-data") {
      results.push(...(await timeToData(quick, dir)));
      console.log(formatTable(results));
      return;
    }
    log("generation");
    results.push(
      ...(await stageGenerateApart(
        Number(values.events ?? (quick ? 50_000 : 2_000_000)),
        dir,
      )),
    );
    log("embedded backfill");
    const backfillN = Number(values.backfill ?? (quick ? 30_000 : 5_000_000));
    results.push(await stageEmbedded(backfillN, dir));
    log("live view: dashboard open in Chromium against --http off");
    results.push(
      ...(await stageLiveView(quick ? 30_000 : 1_000_000, quick ? 1 : 3, dir)),
    );
    log("parquet");
    results.push(...(await stageParquet(quick ? 20_000 : 200_000, dir)));
    results.push(...(await kafkaStages(quick, dir)));
    results.push(...(await timeToData(quick, dir)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(formatTable(results));
  await writeReport(results, quick, values.out);
}

/** The wall-clock stages (bench/time_to_data.ts); the Kafka one needs the mock cluster. */
async function timeToData(
  quick: boolean,
  dir: string,
): Promise<StageResult[]> {
  const rounds = quick ? 1 : 3;
  const results = await stageDayBackfill(
    dir,
    quick ? "2026-11-01T06:00:00Z" : "2026-11-02",
    rounds,
  );
  if (hasLibrdkafka()) {
    results.push(
      ...(await stageBootstrapWall(dir, quick ? 10_000 : 150_000, rounds)),
    );
  }
  return results;
}

/**
 * Stage 1 in processes of their own, so that each peak RSS is its own: on
 * one thread, then as `sample` runs it by default here (a thread per core,
 * at most four).
 */
async function stageGenerateApart(
  n: number,
  dir: string,
): Promise<StageResult[]> {
  const results: StageResult[] = [];
  const cores = Math.max(2, Math.min(4, navigator.hardwareConcurrency));
  for (const threads of [1, cores]) {
    const g = await measure([
      new URL(import.meta.url).pathname,
      "--stage",
      "generate",
      "--events",
      String(n),
      "--threads",
      String(threads),
    ], dir);
    if (g.code !== 0) throw new Error(g.stderr);
    results.push({
      ...JSON.parse(g.stdout.trim()),
      peakRssMb: g.peakRssMb === null ? null : Math.round(g.peakRssMb),
    });
  }
  return results;
}

/** The Kafka stages on kcat's mock cluster, or one row saying they were skipped. */
async function kafkaStages(
  quick: boolean,
  dir: string,
): Promise<StageResult[]> {
  const cluster = await mockCluster();
  if (!cluster) {
    log("kcat not found: skipping the Kafka stages (apt-get install kcat)");
    return [{
      stage: "Kafka stages",
      events: 0,
      seconds: 0,
      eventsPerSec: 0,
      mbPerSec: 0,
      peakRssMb: null,
      target: "",
      met: null,
      note: "skipped: kcat not installed",
    }];
  }
  try {
    const bootstrap = cluster.bootstrap;
    const results = await produceRounds(bootstrap, quick, dir);
    log("fill topic for catch-up");
    const filled = await stageProduce(
      bootstrap,
      quick ? 8_000 : 150_000,
      dir,
      "bench_catchup",
      "gzip",
    );
    log("catch-up");
    results.push(
      await stageCatchUp(bootstrap, dir, "bench_catchup", filled.events),
    );
    log("run --bootstrap");
    results.push(
      await stageRunBootstrap(bootstrap, quick ? 10_000 : 400_000, dir),
    );
    return results;
  } finally {
    await cluster.stop();
  }
}

/**
 * tvstream produce beside bare kafkajs, with and without tvstream's varint
 * writers. Alternating rounds, best of each: these machines' speed drifts
 * by tens of percent within minutes, and a ratio of two single runs
 * measured that drift more than the producers.
 */
async function produceRounds(
  bootstrap: string,
  quick: boolean,
  dir: string,
): Promise<StageResult[]> {
  const n = quick ? 10_000 : 200_000;
  const rounds = quick ? 1 : 3;
  let bare: StageResult | undefined;
  let patched: StageResult | undefined;
  let p: { events: number; seconds: number; peak: number | null } | undefined;
  const best = (a: StageResult | undefined, b: StageResult) =>
    !a || b.eventsPerSec > a.eventsPerSec ? b : a;
  for (let round = 0; round < rounds; round++) {
    const of = `(round ${round + 1} of ${rounds})`;
    log(`bare kafkajs ${of}`);
    bare = best(
      bare,
      await stageBareKafkajs(bootstrap, n, dir, `bench_bare_${round}`, false),
    );
    log(`tvstream produce ${of}`);
    const t = await stageProduce(
      bootstrap,
      n,
      dir,
      `bench_tvs_${round}`,
      "none",
    );
    if (!p || t.events / t.seconds > p.events / p.seconds) p = t;
    log(`bare kafkajs, patched ${of}`);
    patched = best(
      patched,
      await stageBareKafkajs(bootstrap, n, dir, `bench_patched_${round}`, true),
    );
  }
  const rate = p!.events / p!.seconds;
  const ratio = rate / bare!.eventsPerSec;
  return [
    bare!,
    patched!,
    row(
      "tvstream produce (generate + produce)",
      p!.events,
      p!.seconds,
      0,
      p!.peak,
      ">= 90% of bare",
      ratio >= 0.9,
      `ratio ${ratio.toFixed(2)} to bare kafkajs, ${
        (rate / patched!.eventsPerSec).toFixed(2)
      } to bare with the same varint writers (first send to last ack; best of ${rounds} alternating rounds each)`,
    ),
  ];
}

/** Writes the results as JSON under bench/results/ (or `out`). */
async function writeReport(
  results: StageResult[],
  quick: boolean,
  out: string | undefined,
): Promise<void> {
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpu: await cpuModel(),
      cores: navigator.hardwareConcurrency,
      deno: Deno.version.deno,
      os: Deno.build.os,
    },
    quick,
    results,
  };
  const path = out ??
    new URL(`./results/${quick ? "quick" : "latest"}.json`, import.meta.url)
      .pathname;
  await Deno.mkdir(new URL("./results", import.meta.url), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
  console.error(`bench: wrote ${path}`);
}

/** The CPU model, for the report. */
async function cpuModel(): Promise<string> {
  try {
    // Deno reads /proc/cpuinfo only with --allow-all (the bench task has it).
    return (await Deno.readTextFile("/proc/cpuinfo"))
      .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

if (import.meta.main) await main();

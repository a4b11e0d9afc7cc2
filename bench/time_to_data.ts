/**
 * The bench's wall-clock stages: what a user waits for, from process start
 * to exit, on the README's own commands, each beside its reference run in
 * the same bench.
 *
 * - The README's one-day backfill, against DuckDB converting the same day's
 *   events from JSON lines to snappy Parquet.
 * - `run --bootstrap` of 150k events into 24 partitions of a one-broker
 *   cluster, against the seed demo's producer (kafka-python) producing on
 *   the same cluster (bench/seed_producer.py).
 *
 * Each tvstream row carries the CPU seconds of each thread, so that the
 * table says how the two cores were used.
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { startMockCluster } from "../tools/mock_cluster.ts";
import {
  log,
  MAIN,
  type Measured,
  median,
  outputFlags,
  row,
  runStage,
  type StageResult,
} from "./_stage.ts";

/** Thread names as Deno gives them, mapped to what runs there. */
function threadProfile(m: Measured, roles: string[]): string {
  const named: [string, number][] = [];
  let helpers = 0, io = 0, main = 0;
  for (const [name, cpu] of Object.entries(m.threads)) {
    const worker = /^worker-(\d+)$/.exec(name);
    if (worker) named.push([roles[Number(worker[1]) - 1] ?? name, cpu]);
    else if (name.startsWith("V8 ")) helpers += cpu;
    else if (name.startsWith("tokio")) io += cpu;
    else main += cpu;
  }
  named.push(["main", main], ["V8 helpers (GC, compiler)", helpers], [
    "I/O",
    io,
  ]);
  const total = named.reduce((s, [, c]) => s + c, 0);
  return `CPU s by thread: ${
    named.filter(([, c]) => c >= 0.05).map(([n, c]) => `${n} ${c.toFixed(1)}`)
      .join(", ")
  }; ${(total / m.seconds).toFixed(2)} of 2 cores busy on average`;
}

/**
 * The README's backfill as a user runs it (default flags), and DuckDB's
 * conversion of the same events, in interleaved rounds: the median of each.
 */
export async function stageDayBackfill(
  dir: string,
  to: string,
  rounds: number,
): Promise<StageResult[]> {
  // The README's window is 2026-11-01 to -02; --quick stops earlier.
  const window = ["--from", "2026-11-01", "--to", to];
  const jsonl = await writeJsonLines(dir, window);
  const ours: { m: Measured; rows: number }[] = [];
  const duck: { events: number; seconds: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    log(`time to data: the README's backfill, round ${r + 1} of ${rounds}`);
    const { s, m } = await runStage("day backfill", [
      "run",
      ...window,
      "--rate",
      "0",
      ...outputFlags(dir, `day${r}`),
    ], dir);
    ours.push({ m, rows: Number(s["rows"]) });
    log(`time to data: DuckDB converts the same JSON lines, round ${r + 1}`);
    duck.push(await duckDbCopy(jsonl, `${dir}/duck-day${r}.parquet`));
  }
  const { m, rows } = median(ours, (o) => o.m.seconds);
  const d = median(duck, (x) => x.seconds);
  const ratio = (rows / m.seconds) / (d.events / d.seconds);
  const note = `median of ${rounds} interleaved rounds`;
  return [
    row(
      `backfill ${window[1]} to ${window[3]}, wall clock (README's command)`,
      rows,
      m.seconds,
      0,
      m.peakRssMb,
      ">= 1.0x DuckDB; RSS < 300 MB",
      ratio >= 1 && (m.peakRssMb ?? 0) < 300,
      `${ratio.toFixed(2)}x DuckDB, ${note}; ${
        threadProfile(m, ["generator", "consumer"])
      }`,
    ),
    row(
      "DuckDB: same events, JSON lines -> Parquet (reference)",
      d.events,
      d.seconds,
      0,
      null,
      "(reference)",
      null,
      `read_json over the whole file (every field kept), snappy; ${note}`,
    ),
  ];
}

/** Writes the window's events as JSON lines with `sample` (what DuckDB converts). */
async function writeJsonLines(dir: string, window: string[]): Promise<string> {
  const jsonl = `${dir}/day.jsonl`;
  const file = await Deno.open(jsonl, { write: true, create: true });
  const sample = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "sample", ...window, "-n", "5000000"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await sample.stdout.pipeTo(file.writable);
  const status = await sample.status;
  const err = await new Response(sample.stderr).text();
  if (!status.success) throw new Error(`sample failed: ${err}`);
  return jsonl;
}

/** Times DuckDB's COPY of the JSON lines to snappy Parquet; counts what it wrote. */
async function duckDbCopy(
  jsonl: string,
  out: string,
): Promise<{ events: number; seconds: number }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const started = performance.now();
    await connection.run(
      `COPY (SELECT * FROM read_json('${jsonl}', format = 'newline_delimited', sample_size = -1)) TO '${out}' (FORMAT parquet, COMPRESSION snappy)`,
    );
    const seconds = (performance.now() - started) / 1000;
    const count = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER FROM '${out}'`,
    );
    return { events: Number(count.getRows()[0]![0]), seconds };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * `run --bootstrap`, n events, 24 partitions, one broker, process start to
 * exit; and the seed's producer on the same cluster; interleaved rounds,
 * each on topics of its own, the median of each.
 */
export async function stageBootstrapWall(
  dir: string,
  n: number,
  rounds: number,
): Promise<StageResult[]> {
  await using cluster = await startMockCluster({ brokers: 1 });
  const ours: { m: Measured; rows: number }[] = [];
  const seeds: { events: number; seconds: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    // This mock cannot create topics through the admin API, and keeps about
    // 5 MB per partition: the 24 partitions are made on the mock itself.
    for (const topic of [`ttd${r}`, `seed${r}`]) {
      await cluster.fault({
        op: "topic",
        topic,
        partitions: 24,
        replication: 1,
      });
    }
    log(`time to data: run --bootstrap, round ${r + 1} of ${rounds}`);
    ours.push(await bootstrapRun(cluster.bootstrap, `ttd${r}`, n, dir));
    log(`time to data: the seed demo's producer, round ${r + 1}`);
    const seed = await seedProducer(
      cluster.bootstrap,
      `seed${r}`,
      Math.min(n, 50_000),
    );
    if (seed) seeds.push(seed);
  }
  const { m, rows } = median(ours, (o) => o.m.seconds);
  const seed = seeds.length ? median(seeds, (x) => x.seconds) : undefined;
  const ratio = seed ? (rows / m.seconds) / (seed.events / seed.seconds) : null;
  const note = `median of ${rounds} interleaved rounds`;
  const profile = threadProfile(m, [
    "generator",
    "producer",
    "fetcher",
    "consumer",
  ]);
  return [
    row(
      `run --bootstrap, wall clock (${n / 1000}k events, 24 partitions)`,
      rows,
      m.seconds,
      0,
      m.peakRssMb,
      ">= 8x seed producer",
      ratio === null ? null : ratio >= 8,
      `${
        ratio === null ? "no reference" : `${ratio.toFixed(1)}x seed`
      }, ${note}; ${profile}`,
    ),
    seed
      ? row(
        "seed demo producer (kafka-python, produce only; reference)",
        seed.events,
        seed.seconds,
        0,
        null,
        "(reference)",
        null,
        `bench/seed_producer.py, same cluster; ${note}`,
      )
      : row(
        "seed demo producer (reference)",
        0,
        1,
        0,
        null,
        "",
        null,
        "skipped: python3 cannot import kafka (apt-get install python3-kafka)",
      ),
  ];
}

/** One `run --bootstrap` of n events into `topic`, measured. */
async function bootstrapRun(
  bootstrap: string,
  topic: string,
  n: number,
  dir: string,
): Promise<{ m: Measured; rows: number }> {
  const { s, m } = await runStage("run --bootstrap", [
    "run",
    "--bootstrap",
    bootstrap,
    "--topic",
    topic,
    "--partitions",
    "24",
    "--from",
    "2025-06-02",
    "--rate",
    "0",
    "--events",
    String(n),
    // Night-time events come from few devices, so a few partitions get
    // most of them: uncompressed, they outgrow the mock's 5 MB before the
    // consumer has joined. Compression costs this run CPU, not the seed's.
    "--kafka-compression",
    "gzip",
    ...outputFlags(dir, topic),
  ], dir);
  return { m, rows: Number(s["rows"]) };
}

/** Runs bench/seed_producer.py; undefined when kafka-python is missing. */
async function seedProducer(
  bootstrap: string,
  topic: string,
  n: number,
): Promise<{ events: number; seconds: number } | undefined> {
  const script = new URL("./seed_producer.py", import.meta.url).pathname;
  try {
    // Debian's python3-kafka lives with Debian's Python, which a pyenv or
    // venv python3 earlier on PATH does not see.
    const python = await Deno.stat("/usr/bin/python3").then(
      () => "/usr/bin/python3",
      () => "python3",
    );
    const out = await new Deno.Command(python, {
      args: [script, bootstrap, topic, String(n)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr);
      if (/No module named 'kafka'/.test(err)) return undefined;
      throw new Error(`seed producer failed: ${err.slice(-1000)}`);
    }
    return JSON.parse(new TextDecoder().decode(out.stdout).trim());
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

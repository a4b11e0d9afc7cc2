/**
 * Chaos: kill tvstream with SIGKILL at random (seeded, replayable) moments,
 * restart it, and check that the warehouse ends with every record exactly
 * once and that every checkpoint written along the way parses.
 *
 * Three scenarios:
 * - `embedded`: `tvstream run` backfilling a window, killed and restarted;
 *   the warehouse must equal the window's events (from `tvstream sample`).
 * - `kafka`: a producer runs while the consumer is killed and restarted
 *   (librdkafka's mock cluster); rows must equal the records in the
 *   topic and distinct (kafkaPartition, kafkaOffset) must equal rows.
 * - `faults`: a producer and a consumer against the mock cluster, with a
 *   seeded schedule of SIGKILLs of either and broker faults
 *   (tools/chaos_faults.ts); `--iterations` is the number of steps.
 *
 * Usage: deno task chaos [--iterations 25] [--seed 1] [--scenario embedded|kafka|faults|all]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { parseCheckpoint } from "../src/warehouse/checkpoint.ts";
import { Rng } from "../src/model/rng.ts";
import { startMockCluster } from "./mock_cluster.ts";
import { readTable } from "./read_table.ts";
import { spawnTvstream, tvstream } from "./tvstream_cli.ts";
import { runFaultChaos } from "./chaos_faults.ts";

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions {
  scenario: "embedded" | "kafka";
  iterations: number;
  seed: number;
  /** Kill after U(minMs, maxMs) of running. */
  minMs: number;
  maxMs: number;
  dir: string;
  /** Kafka bootstrap (kafka scenario). */
  bootstrap?: string;
  log?: (line: string) => void;
}

/** What a chaos run found. */
export interface ChaosResult {
  scenario: string;
  kills: number;
  expected: number;
  rows: number;
  distinctIds: number;
  distinctOffsets: number;
  checkpointsChecked: number;
  badCheckpoints: string[];
  ok: boolean;
}

/** Parses every checkpoint file under `chk`; returns the paths that do not parse. */
export async function checkCheckpoints(
  chk: string,
): Promise<{ checked: number; bad: string[] }> {
  const bad: string[] = [];
  let checked = 0;
  const dir = join(chk, "partitions");
  try {
    for await (const f of Deno.readDir(dir)) {
      // Hidden names are temp files of a write that was killed (removed
      // when the partition is next taken), not checkpoints.
      if (!f.name.endsWith(".json") || f.name.startsWith(".")) continue;
      checked++;
      const path = join(dir, f.name);
      try {
        parseCheckpoint(await Deno.readTextFile(path), path);
      } catch (error) {
        bad.push(`${path}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { checked, bad };
}

/** The warehouse's event ids and distinct (partition:offset) pairs. */
export async function warehouse(dir: string, topic: string) {
  const rows = await readTable(join(dir, "warehouse"), topic, [
    "eventId",
    "kafkaPartition",
    "kafkaOffset",
  ]);
  return {
    ids: rows.map((r) => r.values["eventId"] as string),
    offsets: new Set(
      rows.map((r) =>
        `${r.values["kafkaPartition"]}:${r.values["kafkaOffset"]}`
      ),
    ),
  };
}

/**
 * The consumer chaos kills: small files and frequent flushes, so that kills
 * land mid-flush, and a short session timeout, so that restarts rejoin fast.
 */
export function chaosConsumer(bootstrap: string, topic: string): string[] {
  return [
    "consume",
    "--bootstrap",
    bootstrap,
    "--topic",
    topic,
    "--max-file-rows",
    "2000",
    "--flush-interval",
    "1",
    "--session-timeout",
    "6",
    "--quiet",
  ];
}

/** The simulated window chaos runs backfill: one evening, six hours. */
export function chaosWindow(households: number, seed: number): string[] {
  return [
    "--from",
    "2026-11-02T18:00:00Z",
    "--to",
    "2026-11-03T00:00:00Z",
    "--households",
    String(households),
    "--seed",
    String(seed),
  ];
}

/** Runs one chaos scenario and reports what it found. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const rng = new Rng(options.seed);
  const log = options.log ?? (() => {});
  const cwd = options.dir;
  const topic = options.scenario === "kafka"
    ? `chaos_${options.seed}`
    : "tv_events";
  const window = chaosWindow(34, options.seed);
  let kills = 0;
  let checkpointsChecked = 0;
  const badCheckpoints: string[] = [];
  // Pace the backfill so that it spans the kills (~74k events in the window:
  // 34 households watch about 2,200 events each on a Monday evening).
  const meanLifeSec = Math.max(0.5, (options.minMs + options.maxMs) / 2000 - 1);
  const rate = Math.max(
    500,
    Math.round(74_000 / (options.iterations * meanLifeSec)),
  );
  const consumerArgs = options.scenario === "embedded"
    ? [
      "run",
      ...window,
      "--rate",
      String(rate),
      "--max-file-rows",
      "3000",
      "--flush-interval",
      "1",
      "--quiet",
    ]
    : chaosConsumer(options.bootstrap!, topic);
  let producer: Deno.ChildProcess | undefined;
  if (options.scenario === "kafka") {
    producer = spawnTvstream([
      "produce",
      "--bootstrap",
      options.bootstrap!,
      "--topic",
      topic,
      ...window,
      "--rate",
      "6000",
      "--compression",
      "gzip",
      "--quiet",
    ], { cwd });
  }
  for (let i = 0; i < options.iterations; i++) {
    const child = spawnTvstream(consumerArgs, { cwd });
    const wait = options.minMs + rng.next() * (options.maxMs - options.minMs);
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), wait)),
    ]);
    if (!exited) {
      child.kill("SIGKILL");
      kills++;
    }
    const status = await child.status;
    const err = await new Response(child.stderr).text();
    if (exited && status.code !== 0) {
      throw new Error(`tvstream exited ${status.code}: ${err}`);
    }
    const cps = await checkCheckpoints(join(cwd, "chk", topic));
    checkpointsChecked += cps.checked;
    badCheckpoints.push(...cps.bad);
    log(
      `iteration ${i + 1}: ${
        exited ? "finished" : `killed after ${Math.round(wait)} ms`
      }`,
    );
  }
  let expected: number;
  if (options.scenario === "embedded") {
    const last = await tvstream(consumerArgs, { cwd });
    if (last.code !== 0) throw new Error(`final run failed: ${last.stderr}`);
    const ref = await tvstream(["sample", "-n", "100000000", ...window], {
      cwd,
    });
    expected = ref.stdout.trim().split("\n").length;
  } else {
    const p = await producer!.status;
    const perr = await new Response(producer!.stderr).text();
    if (p.code !== 0) throw new Error(`producer failed: ${perr}`);
    const last = await tvstream([...consumerArgs, "--until-idle", "8"], {
      cwd,
    });
    if (last.code !== 0) {
      throw new Error(`final consume failed: ${last.stderr}`);
    }
    const ref = await tvstream(["sample", "-n", "100000000", ...window], {
      cwd,
    });
    expected = ref.stdout.trim().split("\n").length;
  }
  return {
    scenario: options.scenario,
    kills,
    ...(await verdict(cwd, topic, expected, {
      checked: checkpointsChecked,
      bad: badCheckpoints,
    })),
  };
}

/** The end-of-run checks every chaos scenario makes. */
export type Verdict = Omit<ChaosResult, "scenario" | "kills">;

/**
 * Checks the warehouse against `expected` events and the checkpoints once
 * more: every event once, every (partition, offset) once, every checkpoint
 * written along the way (`seen`) and now parsing.
 */
export async function verdict(
  cwd: string,
  topic: string,
  expected: number,
  seen: { checked: number; bad: string[] },
): Promise<Verdict> {
  const final = await checkCheckpoints(join(cwd, "chk", topic));
  const badCheckpoints = [...seen.bad, ...final.bad];
  const { ids, offsets } = await warehouse(cwd, topic);
  const distinctIds = new Set(ids).size;
  return {
    expected,
    rows: ids.length,
    distinctIds,
    distinctOffsets: offsets.size,
    checkpointsChecked: seen.checked + final.checked,
    badCheckpoints,
    ok: ids.length === expected && distinctIds === expected &&
      offsets.size === ids.length && badCheckpoints.length === 0,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      iterations: { type: "string", default: "25" },
      seed: { type: "string", default: "1" },
      scenario: { type: "string", default: "all" },
    },
  });
  const scenarios = values.scenario === "all"
    ? ["embedded", "kafka", "faults"] as const
    : [values.scenario as "embedded" | "kafka" | "faults"];
  let failed = false;
  for (const scenario of scenarios) {
    const dir = await Deno.makeTempDir({
      prefix: `tvstream-chaos-${scenario}-`,
    });
    const cluster = scenario === "embedded"
      ? undefined
      : await startMockCluster();
    try {
      const result = scenario === "faults"
        ? await runFaultChaos({
          steps: Number(values.iterations),
          seed: Number(values.seed),
          minMs: 1500,
          maxMs: 3500,
          dir,
          cluster: cluster!,
          log: (l) => console.log(`[faults] ${l}`),
        })
        : await runChaos({
          scenario,
          iterations: Number(values.iterations),
          seed: Number(values.seed),
          minMs: 1500,
          maxMs: 5000,
          dir,
          ...(cluster ? { bootstrap: cluster.bootstrap } : {}),
          log: (l) => console.log(`[${scenario}] ${l}`),
        });
      console.log(JSON.stringify(result));
      if (!result.ok) failed = true;
    } finally {
      await cluster?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  }
  console.log(failed ? "CHAOS FAILED" : "chaos: exactly once held");
  Deno.exit(failed ? 1 : 0);
}

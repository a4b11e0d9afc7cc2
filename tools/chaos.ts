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
import { Kafka, logLevel } from "kafkajs";
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
  /** Rows the checkpoints held before the final, unkilled run. */
  committedBeforeFinal: number;
  expected: number;
  rows: number;
  distinctIds: number;
  distinctOffsets: number;
  checkpointsChecked: number;
  badCheckpoints: string[];
  ok: boolean;
}

/**
 * Parses every checkpoint file under `chk`; returns the paths that do not
 * parse and the rows the parsed ones say are committed.
 */
export async function checkCheckpoints(
  chk: string,
): Promise<{ checked: number; bad: string[]; rows: number }> {
  const bad: string[] = [];
  let checked = 0;
  let rows = 0;
  const dir = join(chk, "partitions");
  try {
    for await (const f of Deno.readDir(dir)) {
      // Hidden names are temp files of a write that was killed (removed
      // when the partition is next taken), not checkpoints.
      if (!f.name.endsWith(".json") || f.name.startsWith(".")) continue;
      checked++;
      const path = join(dir, f.name);
      try {
        rows += parseCheckpoint(await Deno.readTextFile(path), path).rows;
      } catch (error) {
        bad.push(`${path}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { checked, bad, rows };
}

/**
 * Throws when the broker no longer holds a partition's first records.
 * librdkafka's mock cluster keeps about 5 MB per partition and drops the
 * oldest batches beyond that; a consumer that first reads such a partition
 * starts at its log start, as any Kafka consumer would, so the rows are
 * short without any loss on tvstream's side. This tells the two apart.
 */
export async function assertBrokerKeptAll(
  bootstrap: string,
  topic: string,
): Promise<void> {
  const admin = new Kafka({
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  })
    .admin();
  await admin.connect();
  try {
    for (const { partition, low } of await admin.fetchTopicOffsets(topic)) {
      if (low !== "0") {
        throw new Error(
          `the broker dropped offsets 0..${
            Number(low) - 1
          } of partition ${partition} (librdkafka's mock keeps about 5 MB per partition): the chaos window is too large for it`,
        );
      }
    }
  } finally {
    await admin.disconnect();
  }
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

/** How many events `window` holds: the run's expected rows. */
export async function windowEvents(
  window: string[],
  cwd: string,
): Promise<number> {
  const ref = await tvstream(["sample", "-n", "100000000", ...window], { cwd });
  if (ref.code !== 0) throw new Error(`sample failed: ${ref.stderr}`);
  return ref.stdout.trim().split("\n").length;
}

/**
 * The households each scenario simulates: the Kafka one stays well under
 * the mock cluster's 5 MB per partition (16 households' evening is about
 * 41k events, 4 partitions, gzip).
 */
const HOUSEHOLDS = { embedded: 34, kafka: 16 } as const;

/** Runs one chaos scenario and reports what it found. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const rng = new Rng(options.seed);
  const log = options.log ?? (() => {});
  const cwd = options.dir;
  const kafka = options.scenario === "kafka";
  const topic = kafka ? `chaos_${options.seed}` : "tv_events";
  const window = chaosWindow(HOUSEHOLDS[options.scenario], options.seed);
  const expected = await windowEvents(window, cwd);
  let kills = 0;
  let checkpointsChecked = 0;
  const badCheckpoints: string[] = [];
  // Pace the window so that it spans the kills: each run loses about a
  // second to starting (and joining the group, under Kafka).
  const meanLifeSec = Math.max(0.5, (options.minMs + options.maxMs) / 2000 - 1);
  const rate = Math.max(
    500,
    Math.round(expected / (options.iterations * meanLifeSec)),
  );
  const consumerArgs = kafka ? chaosConsumer(options.bootstrap!, topic) : [
    "run",
    ...window,
    "--rate",
    String(rate),
    "--max-file-rows",
    "3000",
    "--flush-interval",
    "1",
    "--quiet",
  ];
  const producer = kafka
    ? spawnTvstream([
      "produce",
      "--bootstrap",
      options.bootstrap!,
      "--topic",
      topic,
      ...window,
      "--rate",
      String(rate),
      "--compression",
      "gzip",
      "--quiet",
    ], { cwd })
    : undefined;
  let committedBeforeFinal = 0;
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
    committedBeforeFinal = cps.rows;
    log(
      `iteration ${i + 1}: ${
        exited ? "finished" : `killed after ${Math.round(wait)} ms`
      }, ${cps.rows} rows committed`,
    );
  }
  if (producer) {
    const p = await producer.status;
    const perr = await new Response(producer.stderr).text();
    if (p.code !== 0) throw new Error(`producer failed: ${perr}`);
  }
  const last = await tvstream(
    kafka ? [...consumerArgs, "--until-idle", "8"] : consumerArgs,
    { cwd },
  );
  if (last.code !== 0) throw new Error(`final run failed: ${last.stderr}`);
  if (kafka) await assertBrokerKeptAll(options.bootstrap!, topic);
  return {
    scenario: options.scenario,
    kills,
    committedBeforeFinal,
    ...(await verdict(cwd, topic, expected, {
      checked: checkpointsChecked,
      bad: badCheckpoints,
    })),
  };
}

/** The end-of-run checks every chaos scenario makes. */
export type Verdict = Omit<
  ChaosResult,
  "scenario" | "kills" | "committedBeforeFinal"
>;

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

/**
 * Chaos with broker faults: a producer and a consumer run against
 * librdkafka's mock cluster while a seeded schedule SIGKILLs either of them
 * and injects broker faults (brokers down, request errors, leaders and the
 * group coordinator moving, slow round trips). Both are restarted after
 * each kill. At the end the warehouse must hold every event of the window
 * exactly once, and every checkpoint written must parse.
 *
 * @module
 */
import { join } from "node:path";
import { Rng } from "../src/model/rng.ts";
import { API, ERR, type MockCluster } from "./mock_cluster.ts";
import type { MockCommand } from "./mock_broker.ts";
import {
  assertBrokerKeptAll,
  chaosConsumer,
  chaosWindow,
  checkCheckpoints,
  type Verdict,
  verdict,
  windowEvents,
} from "./chaos.ts";
import { spawnTvstream, tvstream } from "./tvstream_cli.ts";

/** Options of {@linkcode runFaultChaos}. */
export interface FaultChaosOptions {
  /** Kills and faults in the schedule. */
  steps: number;
  seed: number;
  /** Wait U(minMs, maxMs) between steps. */
  minMs: number;
  maxMs: number;
  dir: string;
  cluster: MockCluster;
  log?: (line: string) => void;
}

/** What a chaos-with-faults run found. */
export interface FaultChaosResult extends Verdict {
  scenario: "faults";
  /** The schedule as run: kills and fault commands, in order. */
  steps: string[];
  kills: number;
  faults: number;
}

const RETRIABLE = [
  ERR.NOT_LEADER_OR_FOLLOWER,
  ERR.LEADER_NOT_AVAILABLE,
  ERR.REQUEST_TIMED_OUT,
  ERR.TRANSPORT,
];
const GROUP_ERRORS = [
  ERR.NOT_COORDINATOR,
  ERR.COORDINATOR_LOAD_IN_PROGRESS,
  ERR.REBALANCE_IN_PROGRESS,
  ERR.TRANSPORT,
];

/** One supervised tvstream process: restarted after each kill until it exits. */
class Supervised {
  child: Deno.ChildProcess | undefined;
  exited: Promise<number> | undefined;
  finished = false;
  constructor(readonly args: string[], readonly cwd: string) {}
  start(): void {
    const child = spawnTvstream(this.args, { cwd: this.cwd });
    this.child = child;
    this.exited = (async () => {
      const err = new Response(child.stderr).text();
      const status = await child.status;
      if (status.signal !== "SIGKILL") {
        if (status.code !== 0) {
          throw new Error(
            `tvstream ${this.args[0]} exited ${status.code}: ${await err}`,
          );
        }
        this.finished = true;
      }
      return status.code;
    })();
  }
  /** Kills it for good. */
  async end(): Promise<void> {
    this.finished = true;
    try {
      this.child?.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.exited?.catch(() => {});
  }
  /** Kills it and starts it again; false if it had already finished. */
  async kill(): Promise<boolean> {
    if (this.finished || !this.child) return false;
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.exited;
    if (this.finished) return false;
    this.start();
    return true;
  }
}

/** Picks the next step of the schedule as a command or a kill. */
function pickStep(
  rng: Rng,
  topic: string,
  group: string,
): { kill: "producer" | "consumer" } | {
  fault: MockCommand;
  undo?: MockCommand;
  holdMs?: number;
} {
  const broker = 1 + Math.floor(rng.next() * 3);
  const roll = rng.next();
  const errors = (apiKey: number, pool: readonly number[]) => ({
    fault: {
      op: "errors" as const,
      apiKey,
      codes: Array.from(
        { length: 2 + Math.floor(rng.next() * 4) },
        () => pool[Math.floor(rng.next() * pool.length)]!,
      ),
    },
  });
  if (roll < 0.2) return { kill: "consumer" };
  if (roll < 0.35) return { kill: "producer" };
  if (roll < 0.45) {
    return {
      fault: { op: "down", broker },
      undo: { op: "up", broker },
      holdMs: 2_000 + rng.next() * 4_000,
    };
  }
  if (roll < 0.55) return errors(API.Produce, RETRIABLE);
  if (roll < 0.65) return errors(API.Fetch, RETRIABLE);
  if (roll < 0.72) return errors(API.OffsetCommit, GROUP_ERRORS);
  if (roll < 0.78) return errors(API.JoinGroup, GROUP_ERRORS);
  if (roll < 0.82) return errors(API.SyncGroup, GROUP_ERRORS);
  if (roll < 0.9) {
    return {
      fault: {
        op: "leader",
        topic,
        partition: Math.floor(rng.next() * 4),
        broker,
      },
    };
  }
  if (roll < 0.95) return { fault: { op: "coordinator", group, broker } };
  return {
    fault: { op: "rtt", broker, ms: 1_500 },
    undo: { op: "rtt", broker, ms: 0 },
    holdMs: 4_000,
  };
}

/** Runs the seeded schedule, then checks the warehouse against the window. */
export async function runFaultChaos(
  options: FaultChaosOptions,
): Promise<FaultChaosResult> {
  const rng = new Rng(options.seed);
  const log = options.log ?? (() => {});
  const { cluster, dir: cwd } = options;
  const topic = `faults_${options.seed}`;
  const group = `tvstream-${topic}`;
  await cluster.fault({ op: "topic", topic, partitions: 4, replication: 3 });
  // 16 households: about 41k events, well under the mock cluster's 5 MB
  // per partition even with the copies producer restarts send again.
  const window = chaosWindow(16, options.seed);
  const expected = await windowEvents(window, cwd);
  const kafka = ["--bootstrap", cluster.bootstrap, "--topic", topic];
  // Spread the window over the schedule.
  const spanSec = (options.steps * (options.minMs + options.maxMs)) / 2000;
  const rate = Math.max(400, Math.round(expected / Math.max(10, spanSec)));
  const producer = new Supervised([
    "produce",
    ...kafka,
    ...window,
    "--rate",
    String(rate),
    "--compression",
    "gzip",
    "--retry-timeout",
    "120",
    "--quiet",
  ], cwd);
  const consumerArgs = [
    ...chaosConsumer(cluster.bootstrap, topic),
    "--retry-timeout",
    "120",
  ];
  const consumer = new Supervised(consumerArgs, cwd);
  producer.start();
  consumer.start();
  const steps: string[] = [];
  let kills = 0;
  let faults = 0;
  let checkpointsChecked = 0;
  const badCheckpoints: string[] = [];
  for (let i = 0; i < options.steps; i++) {
    await new Promise((r) =>
      setTimeout(
        r,
        options.minMs + rng.next() * (options.maxMs - options.minMs),
      )
    );
    const step = pickStep(rng, topic, group);
    if ("kill" in step) {
      const target = step.kill === "producer" ? producer : consumer;
      const killed = await target.kill();
      if (killed) kills++;
      steps.push(`${killed ? "SIGKILL" : "(finished)"} ${step.kill}`);
    } else {
      await cluster.fault(step.fault);
      faults++;
      if (step.undo) {
        await new Promise((r) => setTimeout(r, step.holdMs));
        await cluster.fault(step.undo);
      }
      steps.push(JSON.stringify(step.fault));
    }
    log(`step ${i + 1}: ${steps.at(-1)}`);
    const cps = await checkCheckpoints(join(cwd, "chk", topic));
    checkpointsChecked += cps.checked;
    badCheckpoints.push(...cps.bad);
  }
  await cluster.fault({ op: "up", broker: -1 });
  await cluster.fault({ op: "rtt", broker: -1, ms: 0 });
  await producer.exited;
  // The consumer may still be mid-stream: stop it and finish with one that
  // ends once it has caught up with the high watermarks.
  await consumer.end();
  const last = await tvstream([...consumerArgs, "--until-idle", "8"], {
    cwd,
    timeoutMs: 300_000,
  });
  if (last.code !== 0) throw new Error(`final consume failed: ${last.stderr}`);
  await assertBrokerKeptAll(cluster.bootstrap, topic);
  return {
    scenario: "faults",
    steps,
    kills,
    faults,
    ...(await verdict(cwd, topic, expected, {
      checked: checkpointsChecked,
      bad: badCheckpoints,
    })),
  };
}

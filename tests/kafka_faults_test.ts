/**
 * Broker faults against the real Kafka protocol: librdkafka's mock cluster,
 * with faults injected through its C API (tools/mock_cluster.ts). Each run
 * must end on its own, exit 0, and land exactly what the topic holds: rows
 * == distinct records produced, distinct (kafkaPartition, kafkaOffset) ==
 * rows, and every partition's records from offset 0 to its end.
 */
import assert from "node:assert/strict";
import { readTable } from "../tools/read_table.ts";
import { spawnTvstream, tvstream } from "../tools/tvstream_cli.ts";
import { withTmpDir } from "./_helpers.ts";
import {
  API,
  ERR,
  hasLibrdkafka,
  type MockCluster,
  startMockCluster,
} from "../tools/mock_cluster.ts";
import { hasKcat, kafkaTest, kcat } from "./_kafka.ts";

const READY = hasLibrdkafka() && await hasKcat();
if (!READY) {
  console.warn(
    "librdkafka1 or kcat is missing: skipping the broker fault tests (apt-get install kcat)",
  );
}

const test = kafkaTest(READY);

const TOPIC = "faults";

/** What one faulted run did, and what the topic and warehouse hold after it. */
interface FaultRun {
  code: number;
  stderr: string;
  seconds: number;
  /** Records in the topic, and their distinct `seq` headers. */
  records: number;
  distinctSeqs: number;
  rows: number;
  distinctOffsets: number;
  distinctIds: number;
  /** Partitions whose landed offsets are not exactly 0..end-1. */
  holes: string[];
}

/** Every record of the topic, read by kcat: partition, offset, seq. */
async function topicRecords(bootstrap: string, topic: string) {
  const out = await kcat([
    "-C",
    "-b",
    bootstrap,
    "-t",
    topic,
    "-e",
    "-q",
    "-f",
    "%p %o %h\n",
  ]);
  return out.trim().split("\n").filter(Boolean).map((line) => {
    const [p, o, h] = line.split(" ");
    return {
      partition: Number(p),
      offset: Number(o),
      seq: Number(/seq=(\d+)/.exec(h ?? "")?.[1]),
    };
  });
}

/** Compares the warehouse with the topic. */
async function audit(
  dir: string,
  bootstrap: string,
): Promise<Omit<FaultRun, "code" | "stderr" | "seconds">> {
  const topic = await topicRecords(bootstrap, TOPIC);
  const rows = await readTable(`${dir}/warehouse`, TOPIC, [
    "eventId",
    "kafkaPartition",
    "kafkaOffset",
  ]);
  const offsets = new Set(
    rows.map((r) => `${r.values["kafkaPartition"]}:${r.values["kafkaOffset"]}`),
  );
  // A record in the topic is accounted for if it landed, or if an earlier
  // record with the same seq landed (a producer retry's duplicate).
  const landedSeqs = new Set<number>();
  const bySeq = new Map<number, string>();
  for (const r of topic) {
    const key = `${r.partition}:${r.offset}`;
    if (offsets.has(key)) landedSeqs.add(r.seq);
    if (!bySeq.has(r.seq)) bySeq.set(r.seq, key);
  }
  const holes: string[] = [];
  for (const r of topic) {
    if (!landedSeqs.has(r.seq)) holes.push(`${r.partition}:${r.offset}`);
  }
  return {
    records: topic.length,
    distinctSeqs: bySeq.size,
    rows: rows.length,
    distinctOffsets: offsets.size,
    distinctIds: new Set(rows.map((r) => r.values["eventId"])).size,
    holes: holes.slice(0, 10),
  };
}

/** Options of {@linkcode faultedRun}. */
interface FaultOptions {
  brokers?: number;
  partitions?: number;
  events?: number;
  rate?: number;
  /** Applied before tvstream starts. */
  before?: (cluster: MockCluster) => Promise<void>;
  /** Applied once tvstream runs (after `atMs`). */
  during?: (cluster: MockCluster) => Promise<void>;
  atMs?: number;
  /** The run must end on its own within this. */
  boundMs?: number;
}

/** Runs `tvstream run --bootstrap` on a fresh mock cluster with faults, then audits. */
async function faultedRun(options: FaultOptions): Promise<FaultRun> {
  await using cluster = await startMockCluster({
    brokers: options.brokers ?? 3,
  });
  await using tmp = await withTmpDir();
  await cluster.fault({
    op: "topic",
    topic: TOPIC,
    partitions: options.partitions ?? 4,
    replication: Math.min(3, options.brokers ?? 3),
  });
  await options.before?.(cluster);
  const started = Date.now();
  const child = spawnTvstream([
    "run",
    "--bootstrap",
    cluster.bootstrap,
    "--topic",
    TOPIC,
    "--from",
    "2026-11-02T18:00:00Z",
    "--households",
    "2000",
    "--seed",
    "5",
    "--rate",
    String(options.rate ?? 3000),
    "--events",
    String(options.events ?? 15_000),
    "--session-timeout",
    "6",
    "--retry-timeout",
    "60",
    "--log-format",
    "text",
  ], { cwd: tmp.path });
  const stderr = (async () => {
    let text = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) text += chunk;
    return text;
  })();
  const bound = setTimeout(
    () => child.kill("SIGKILL"),
    options.boundMs ?? 90_000,
  );
  try {
    if (options.during) {
      await new Promise((r) => setTimeout(r, options.atMs ?? 2_500));
      await options.during(cluster);
    }
    const status = await child.status;
    const seconds = (Date.now() - started) / 1000;
    return {
      code: status.signal === "SIGKILL" ? -9 : status.code,
      stderr: await stderr,
      seconds,
      ...(await audit(tmp.path, cluster.bootstrap)),
    };
  } finally {
    clearTimeout(bound);
  }
}

/** The run ended by itself with exit 0 and landed every record exactly once. */
function assertExact(r: FaultRun, events = 15_000): void {
  // The figures, for the record (compare `seconds` with the no-fault run).
  console.log(
    `  records=${r.records} distinct seqs=${r.distinctSeqs} rows=${r.rows} distinct offsets=${r.distinctOffsets} exit=${r.code} seconds=${
      r.seconds.toFixed(1)
    }`,
  );
  const context = `${JSON.stringify({ ...r, stderr: undefined })}\n${r.stderr}`;
  assert.equal(r.code, 0, context);
  assert.deepEqual(r.holes, [], context);
  assert.equal(r.distinctSeqs, events, context);
  assert.equal(r.rows, events, context);
  assert.equal(r.distinctIds, events, context);
  assert.equal(r.distinctOffsets, r.rows, context);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fault step: the next requests of `apiKey` answered with `codes`, in order. */
const errorsOn = (apiKey: number, codes: number[]) => (c: MockCluster) =>
  c.fault({ op: "errors", apiKey, codes });

test("no faults, 4 partitions: the baseline the fault runs are timed against", async () => {
  assertExact(await faultedRun({}));
});

test("fault: a broker down for 5 s mid-run and back", async () => {
  const r = await faultedRun({
    during: async (c) => {
      await c.fault({ op: "down", broker: 2 });
      await sleep(5_000);
      await c.fault({ op: "up", broker: 2 });
    },
  });
  assertExact(r);
});

/** Request errors the brokers answer one API with, and when they start. */
const REQUEST_ERRORS: {
  name: string;
  apiKey: number;
  codes: number[];
  atMs?: number;
}[] = [
  {
    name: "Produce answered NOT_LEADER_OR_FOLLOWER and REQUEST_TIMED_OUT",
    apiKey: API.Produce,
    codes: [
      ERR.NOT_LEADER_OR_FOLLOWER,
      ERR.NOT_LEADER_OR_FOLLOWER,
      ERR.REQUEST_TIMED_OUT,
      ERR.LEADER_NOT_AVAILABLE,
      ERR.TRANSPORT,
    ],
  },
  {
    name: "Fetch answered NOT_LEADER_OR_FOLLOWER, and a dropped connection",
    apiKey: API.Fetch,
    atMs: 4_000,
    codes: [
      ERR.NOT_LEADER_OR_FOLLOWER,
      ERR.NOT_LEADER_OR_FOLLOWER,
      ERR.TRANSPORT,
      ERR.REQUEST_TIMED_OUT,
    ],
  },
  {
    name:
      "OffsetCommit answered NOT_COORDINATOR, REBALANCE_IN_PROGRESS and COORDINATOR_LOAD_IN_PROGRESS",
    apiKey: API.OffsetCommit,
    atMs: 4_000,
    codes: [
      ERR.NOT_COORDINATOR,
      ERR.REBALANCE_IN_PROGRESS,
      ERR.COORDINATOR_LOAD_IN_PROGRESS,
      ERR.UNKNOWN_MEMBER_ID,
    ],
  },
];

for (const { name, apiKey, codes, atMs } of REQUEST_ERRORS) {
  test(`fault: ${name}`, async () => {
    const r = await faultedRun({
      ...(atMs !== undefined ? { atMs } : {}),
      during: errorsOn(apiKey, codes),
    });
    assertExact(r);
  });
}

test("fault: JoinGroup and SyncGroup answered with coordinator and rebalance errors", async () => {
  const r = await faultedRun({
    before: async (c) => {
      await c.fault({
        op: "errors",
        apiKey: API.JoinGroup,
        codes: [
          ERR.COORDINATOR_LOAD_IN_PROGRESS,
          ERR.NOT_COORDINATOR,
          ERR.REBALANCE_IN_PROGRESS,
        ],
      });
      await c.fault({
        op: "errors",
        apiKey: API.SyncGroup,
        codes: [ERR.REBALANCE_IN_PROGRESS, ERR.NOT_COORDINATOR],
      });
    },
  });
  assertExact(r);
});

test("fault: partition leaders move mid-run", async () => {
  const r = await faultedRun({
    during: async (c) => {
      for (let p = 0; p < 4; p++) {
        await c.fault({
          op: "leader",
          topic: TOPIC,
          partition: p,
          broker: (p % 3) + 1 === 3 ? 1 : (p % 3) + 2,
        });
      }
    },
  });
  assertExact(r);
});

test("fault: the group coordinator moves mid-rebalance", async () => {
  const r = await faultedRun({
    atMs: 1_500,
    during: async (c) => {
      await c.fault({
        op: "coordinator",
        group: `tvstream-${TOPIC}`,
        broker: 3,
      });
      await sleep(3_000);
      await c.fault({
        op: "coordinator",
        group: `tvstream-${TOPIC}`,
        broker: 2,
      });
    },
  });
  assertExact(r);
});

test("fault: a slow broker (2 s round trips) costs time, never records", async () => {
  const r = await faultedRun({
    during: async (c) => {
      await c.fault({ op: "rtt", broker: 1, ms: 2_000 });
      await sleep(6_000);
      await c.fault({ op: "rtt", broker: 1, ms: 0 });
    },
  });
  assertExact(r);
});

test("no faults, 24 partitions: the run ends on its own within a bound", async () => {
  const r = await faultedRun({
    partitions: 24,
    rate: 0,
    events: 20_000,
    boundMs: 60_000,
  });
  assertExact(r, 20_000);
});

test("records deleted before the consumer reached them: run exits 1 naming the range, never 0", async () => {
  await using cluster = await startMockCluster({ brokers: 1 });
  await using tmp = await withTmpDir();
  await cluster.fault({
    op: "topic",
    topic: TOPIC,
    partitions: 1,
    replication: 1,
  });
  // One partition and ~8 MB: the mock keeps about 5 MB per partition, and
  // the producer outruns the consumer's group join.
  const r = await tvstream([
    "run",
    "--bootstrap",
    cluster.bootstrap,
    "--topic",
    TOPIC,
    "--from",
    "2025-06-02",
    "--seed",
    "1",
    "--rate",
    "0",
    "--events",
    "25000",
  ], { cwd: tmp.path, timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /Data loss on topic "faults" partition 0: offsets 0 to \d+ are gone/,
  );
  assert.doesNotMatch(r.stderr, /done /);
});

test("the consumer joining before, during and after the producer's first batches reads every partition from offset 0", async () => {
  await using cluster = await startMockCluster({ brokers: 1 });
  await using tmp = await withTmpDir();
  const common = ["--bootstrap", cluster.bootstrap];
  const produce = (topic: string, seed: number) =>
    tvstream([
      "produce",
      ...common,
      "--topic",
      topic,
      "--from",
      "2026-11-02T19:00:00Z",
      "--households",
      "300",
      "--seed",
      String(seed),
      "--rate",
      "2000",
      "--events",
      "6000",
      "--quiet",
    ], { cwd: tmp.path, timeoutMs: 60_000 });
  const consume = (topic: string) =>
    tvstream([
      "consume",
      ...common,
      "--topic",
      topic,
      "--until-idle",
      "5",
      "--session-timeout",
      "6",
      "--quiet",
    ], { cwd: tmp.path, timeoutMs: 60_000 });
  for (
    const [topic, delayMs] of [["before", -4000], ["during", 1000], [
      "after",
      0,
    ]] as const
  ) {
    await cluster.fault({ op: "topic", topic, partitions: 4, replication: 1 });
    let c: ReturnType<typeof consume> | undefined;
    if (delayMs < 0) c = consume(topic);
    if (delayMs < 0) await sleep(-delayMs);
    const p = produce(topic, 11);
    if (delayMs > 0) {
      await sleep(delayMs);
      c = consume(topic);
    }
    const produced = await p;
    assert.equal(produced.code, 0, produced.stderr);
    c ??= consume(topic);
    const out = await c;
    assert.equal(out.code, 0, `${topic}: ${out.stderr}`);
    const rows = await readTable(`${tmp.path}/warehouse`, topic, [
      "kafkaPartition",
      "kafkaOffset",
    ]);
    const records = await topicRecords(cluster.bootstrap, topic);
    assert.equal(records.length, 6000, topic);
    assert.equal(rows.length, 6000, `${topic}: ${out.stderr}`);
    const byPartition = new Map<number, number[]>();
    for (const r of rows) {
      const p = r.values["kafkaPartition"] as number;
      byPartition.set(p, [
        ...(byPartition.get(p) ?? []),
        Number(r.values["kafkaOffset"]),
      ]);
    }
    for (const [p, offsets] of byPartition) {
      offsets.sort((a, b) => a - b);
      assert.equal(offsets[0], 0, `${topic} partition ${p} starts at 0`);
      assert.equal(
        offsets.at(-1),
        offsets.length - 1,
        `${topic} partition ${p} has no hole`,
      );
    }
  }
});

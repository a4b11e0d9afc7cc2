/**
 * The consumer and a bounded run against the two-sided in-memory Kafka
 * (tests/fakes/kafka.ts): group rebalances, dropped connections, retention,
 * produce, fetch and commit faults, draining to the producer's end offsets,
 * and --until-idle waiting for the high watermarks. Seconds, no broker.
 */
import assert from "node:assert/strict";
import { runConsumer } from "../src/consumer/run.ts";
import { runGenerator } from "../src/generator/run.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
} from "../src/warehouse/fs.ts";
import { type OffsetMap, type Sink, SYSTEM_CLOCK } from "../src/ports.ts";
import type { SinkSettings } from "../src/config.ts";
import { readTable } from "../tools/read_table.ts";
import { events, sinkSettings, withTmpDir } from "./_helpers.ts";
import { FakeKafka } from "./fakes/kafka.ts";

const TOPIC = "t";

/** Fills the fake topic with `n` events, keyed by tvId, with seqs. */
function fill(kafka: FakeKafka, n: number, seqBase = 0): void {
  events(n, { households: 60, from: "2026-11-02T20:00:00Z" }).forEach(
    (e, i) =>
      kafka.append(
        (i * 7) % kafka.logs.length,
        JSON.stringify(e),
        seqBase + i,
      ),
  );
}

/** Runs one consumer of the fake topic over `dir`. */
function consume(
  dir: string,
  kafka: FakeKafka,
  options: {
    drain?: { from: OffsetMap; until: OffsetMap };
    settings?: Partial<SinkSettings>;
    signal?: AbortSignal;
    retryTimeoutMs?: number;
  } = {},
) {
  return runConsumer({
    topic: TOPIC,
    settings: sinkSettings(dir, options.settings),
    source: kafka.consumer({ batchSize: 300 }),
    warehouse: createFsWarehouse(`${dir}/warehouse`, TOPIC),
    store: createJsonCheckpointStore(`${dir}/chk`),
    clock: SYSTEM_CLOCK,
    signal: options.signal ?? new AbortController().signal,
    ...(options.drain ? { drain: Promise.resolve(options.drain) } : {}),
    ...(options.retryTimeoutMs
      ? { retryTimeoutMs: options.retryTimeoutMs }
      : {}),
  });
}

/** The warehouse's rows as "partition:offset", and the distinct event ids. */
async function landed(dir: string) {
  const rows = await readTable(`${dir}/warehouse`, TOPIC, [
    "kafkaPartition",
    "kafkaOffset",
    "eventId",
  ]);
  return {
    rows: rows.length,
    offsets: new Set(
      rows.map((r) =>
        `${r.values["kafkaPartition"]}:${r.values["kafkaOffset"]}`
      ),
    ).size,
    ids: new Set(rows.map((r) => r.values["eventId"])).size,
  };
}

const zeros = (kafka: FakeKafka) =>
  Object.fromEntries(kafka.logs.map((_, p) => [String(p), "0"]));

Deno.test("fake Kafka: a bounded run drains to the producer's end offsets; produce retries' duplicates are dropped by seq", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 4);
  kafka.fail("produce", 3);
  const sink = kafka.producer();
  const produced = await runGenerator({
    settings: {
      seed: 3,
      households: 200,
      fromMs: Date.parse("2026-11-02T19:00:00Z"),
      rate: 0,
      events: 6000,
    },
    sink,
    clock: SYSTEM_CLOCK,
    signal: new AbortController().signal,
    advertisers: ["Acme"],
    batchSize: 500,
  });
  assert.equal(produced.events, 6000);
  assert.equal(kafka.seen.produce, 3);
  const stats = await consume(tmp.path, kafka, {
    drain: { from: zeros(kafka), until: sink.endOffsets!() },
  });
  assert.ok(stats.duplicates >= 1500, `duplicates ${stats.duplicates}`);
  assert.deepEqual(await landed(tmp.path), {
    rows: 6000,
    offsets: 6000,
    ids: 6000,
  });
});

Deno.test("fake Kafka: two members, a forced rebalance and a dropped connection mid-stream land every record once", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 4);
  fill(kafka, 8000);
  const drain = { from: zeros(kafka), until: kafka.endOffsets() };
  const first = consume(tmp.path, kafka, {
    drain,
    settings: { maxFileRows: 400 },
  });
  await new Promise((r) => setTimeout(r, 50));
  const second = consume(tmp.path, kafka, {
    drain,
    settings: { maxFileRows: 400 },
  });
  await new Promise((r) => setTimeout(r, 50));
  kafka.rebalance();
  await new Promise((r) => setTimeout(r, 50));
  kafka.drop(0);
  const [a, b] = await Promise.all([first, second]);
  assert.ok(a.events > 0 && b.events > 0, "both members consumed");
  assert.deepEqual(await landed(tmp.path), {
    rows: 8000,
    offsets: 8000,
    ids: 8000,
  });
});

Deno.test("fake Kafka: retention past the checkpoint is data loss naming the range; skip records the gap", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 1);
  fill(kafka, 1000);
  await consume(tmp.path, kafka, {
    drain: { from: zeros(kafka), until: kafka.endOffsets() },
  });
  fill(kafka, 2000, 1000);
  kafka.truncate(0, 1500);
  const drain = { from: {}, until: kafka.endOffsets() };
  await assert.rejects(
    consume(tmp.path, kafka, { drain }),
    /Data loss on topic "t" partition 0: offsets 1000 to 1499 are gone/,
  );
  const stats = await consume(tmp.path, kafka, {
    drain,
    settings: { onDataLoss: "skip" },
  });
  assert.equal(stats.lost, 500);
  const cp = JSON.parse(
    await Deno.readTextFile(`${tmp.path}/chk/partitions/0.json`),
  );
  assert.deepEqual(cp.gaps, [{ from: "1000", to: "1500" }]);
  assert.equal((await landed(tmp.path)).rows, 2500);
});

Deno.test("fake Kafka: a run whose records were deleted before the consumer first read them fails, never lands short", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 2);
  fill(kafka, 2000);
  kafka.truncate(1, 300);
  await assert.rejects(
    consume(tmp.path, kafka, {
      drain: { from: zeros(kafka), until: kafka.endOffsets() },
    }),
    /partition 1: offsets 0 to 299 are gone/,
  );
});

Deno.test("fake Kafka: transient fetch and commit failures cost time, never records; a fatal one ends the consumer", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 3);
  fill(kafka, 5000);
  kafka.fail("fetch", 40);
  kafka.fail("commit", 5);
  await consume(tmp.path, kafka, {
    drain: { from: zeros(kafka), until: kafka.endOffsets() },
    settings: { maxFileRows: 500 },
  });
  assert.equal(kafka.seen.fetch, 40);
  assert.equal(kafka.seen.commit, 5);
  assert.deepEqual(await landed(tmp.path), {
    rows: 5000,
    offsets: 5000,
    ids: 5000,
  });
  for (const [p, end] of Object.entries(kafka.endOffsets())) {
    const cp = JSON.parse(
      await Deno.readTextFile(`${tmp.path}/chk/partitions/${p}.json`),
    );
    assert.equal(cp.next, end);
  }

  await using other = await withTmpDir();
  kafka.fail("fetch", 1, { retriable: false });
  await assert.rejects(
    consume(other.path, kafka, {
      drain: { from: zeros(kafka), until: kafka.endOffsets() },
    }),
    /TOPIC_AUTHORIZATION_FAILED/,
  );
});

Deno.test("fake Kafka: --until-idle ends only once the owned partitions reach the high watermarks", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 2);
  fill(kafka, 3000);
  // About 3 s with nothing delivered, against a 1 s idle limit.
  kafka.fail("fetch", 150);
  const stats = await consume(tmp.path, kafka, {
    settings: { untilIdleSec: 1 },
  });
  assert.equal(stats.rows, 3000);
});

Deno.test("fake Kafka: a drain that can make no progress is an error after the retry timeout, not a hang", async () => {
  await using tmp = await withTmpDir();
  const kafka = new FakeKafka(TOPIC, 1);
  fill(kafka, 100);
  const until = { "0": "5000" };
  await assert.rejects(
    consume(tmp.path, kafka, {
      drain: { from: zeros(kafka), until },
      retryTimeoutMs: 1500,
    }),
    /did not reach the offsets the producer wrote within 2 s \(partition: next\/end 0: 100\/5000\)/,
  );
});

Deno.test("fake Kafka: four --shard producers interleaved in one topic, retries included, land exactly the unsharded stream", async () => {
  await using tmp = await withTmpDir();
  const settings = {
    seed: 5,
    households: 120,
    fromMs: Date.parse("2026-11-02T19:00:00Z"),
    toMs: Date.parse("2026-11-02T19:40:00Z"),
    rate: 0,
  };
  const produce = (sink: Sink, shard?: { index: number; count: number }) =>
    runGenerator({
      settings: { ...settings, ...(shard ? { shard } : {}) },
      sink,
      clock: SYSTEM_CLOCK,
      signal: new AbortController().signal,
      advertisers: ["Acme"],
      batchSize: 97,
    });
  const whole = new FakeKafka(TOPIC, 4);
  await produce(whole.producer());
  const values = (kafka: FakeKafka) =>
    kafka.logs.flatMap((l) =>
      l.records.map((r) => new TextDecoder().decode(r.value!))
    );
  const expected = values(whole);

  const kafka = new FakeKafka(TOPIC, 4);
  kafka.fail("produce", 6);
  const sinks = [0, 1, 2, 3].map((index) => kafka.producer(`${index + 1}/4`));
  const stats = await Promise.all(
    sinks.map((sink, index) => produce(sink, { index, count: 4 })),
  );
  for (const s of stats) assert.ok(s.events > 0 && s.events < expected.length);
  const until: OffsetMap = {};
  kafka.logs.forEach((l, p) => until[String(p)] = String(l.records.length));
  // The producers' batches interleave within each partition.
  const seqs = kafka.logs[0]!.records.map((r) => r.seq!);
  assert.ok(seqs.some((s, i) => i > 0 && s < seqs[i - 1]!));

  const consumed = await consume(tmp.path, kafka, {
    drain: { from: zeros(kafka), until },
  });
  assert.ok(consumed.duplicates > 0, "the produce faults wrote copies");
  const rows = await readTable(`${tmp.path}/warehouse`, TOPIC, ["eventId"]);
  const ids = rows.map((r) => r.values["eventId"] as string).sort();
  const wholeIds = expected.map((v) => JSON.parse(v).eventId as string).sort();
  assert.equal(ids.length, wholeIds.length);
  assert.deepEqual(ids, wholeIds);
});

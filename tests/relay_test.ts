/**
 * The relays that put the Kafka client in a worker of its own: what crosses
 * the MessageChannel must be exactly what the in-thread source or sink would
 * have given, in order, with failures and stops reaching the other side.
 */
import assert from "node:assert/strict";
import { runConsumer } from "../src/consumer/run.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
} from "../src/warehouse/fs.ts";
import {
  createSourceRelay,
  serveSourceRelay,
} from "../src/kafka/relay_source.ts";
import {
  createRelaySink,
  encodeLines,
  serveRelay,
} from "../src/kafka/relay_sink.ts";
import { BrokerError } from "../src/errors.ts";
import type { Position } from "../src/model/simulator.ts";
import type { OutRecord, Source } from "../src/ports.ts";
import { SYSTEM_CLOCK } from "../src/ports.ts";
import { readTable } from "../tools/read_table.ts";
import { events, FakeTopic, sinkSettings, withTmpDir } from "./_helpers.ts";

/** Runs the consumer on `source` into `dir`; returns stats, rows and rejects. */
async function consumeInto(dir: string, source: Source) {
  const stats = await runConsumer({
    topic: "t",
    settings: sinkSettings(dir, { maxFileRows: 700 }),
    source,
    warehouse: createFsWarehouse(`${dir}/warehouse`, "t"),
    store: createJsonCheckpointStore(`${dir}/chk`),
    clock: SYSTEM_CLOCK,
    signal: new AbortController().signal,
  });
  const rows = (await readTable(`${dir}/warehouse`, "t", [
    "kafkaPartition",
    "kafkaOffset",
    "eventId",
    "region",
  ])).map(({ values }) =>
    JSON.stringify(values, (_, v) => typeof v === "bigint" ? String(v) : v)
  ).sort();
  const rejected: string[] = [];
  for await (const f of Deno.readDir(`${dir}/warehouse/t/_rejected`)) {
    rejected.push(
      ...(await Deno.readTextFile(`${dir}/warehouse/t/_rejected/${f.name}`))
        .trim().split("\n"),
    );
  }
  return { stats, rows, rejected: rejected.sort() };
}

/** A relay over a MessageChannel in this thread: the fetcher end serving `source`. */
function relayed(source: Source) {
  const channel = new MessageChannel();
  const stop = new AbortController();
  let fetched = 0;
  const served = serveSourceRelay(
    channel.port1,
    source,
    stop.signal,
    (n) => fetched += n,
  );
  const relay = createSourceRelay(channel.port2);
  // Asserted by the tests that expect it to fail; never unhandled meanwhile.
  served.catch(() => {});
  return {
    relay,
    served,
    stop,
    fetched: () => fetched,
    close: () => channel.port1.close(),
  };
}

Deno.test("fetch relay: the consumer lands exactly what it lands in-thread, bad records and re-sent events included", async () => {
  await using direct = await withTmpDir();
  await using viaRelay = await withTmpDir();
  const topic = new FakeTopic(3);
  const evs = events(3000, { households: 50 });
  evs.forEach((e, i) => topic.append(i % 3, JSON.stringify(e), i));
  // Re-sent events (same seq), a tombstone, an empty value, bytes that are
  // not UTF-8, a raw newline, and non-ASCII text.
  evs.slice(2900).forEach((e, i) =>
    topic.append((2900 + i) % 3, JSON.stringify(e), 2900 + i)
  );
  topic.append(0, null);
  topic.append(1, "");
  topic.append(2, new Uint8Array([0xff, 0xfe, 0x7b]));
  topic.append(0, '{"event":\n"x"}');
  topic.append(1, '{"city":"Liège", "é": "ü"}');
  topic.append(
    0,
    JSON.stringify({
      ...evs[0]!,
      eventId: "00000000-0000-4000-8000-000000000001",
      region: "La Louvière",
    }),
  );
  for (let i = 0; i < 300; i++) {
    const e = evs[i]!;
    // The same event under another id: a new row.
    const eventId = `ffffffff${e.eventId.slice(8)}`;
    topic.append(2, JSON.stringify({ ...e, eventId }));
  }
  const a = await consumeInto(direct.path, topic.source({ batchSize: 97 }));
  const r = relayed(topic.source({ batchSize: 97 }));
  const b = await consumeInto(viaRelay.path, r.relay);
  await r.relay.close();
  await r.served;
  r.close();
  assert.equal(a.stats.rows, 3301);
  assert.equal(a.stats.duplicates, 100);
  assert.equal(a.stats.rejected, 5);
  // Clock readings differ between the two runs; every count must not.
  const counts = (s: typeof a.stats) => ({
    ...s,
    activeMs: 0,
    activeFrom: 0,
    checkpointAt: 0,
    flushSeconds: s.flushSeconds?.count,
  });
  assert.deepEqual(
    counts(b.stats),
    counts(a.stats),
  );
  assert.deepEqual(b.rows, a.rows);
  assert.ok(a.rows.some((row) => row.includes("Louvière")), "non-ASCII rows");
  assert.deepEqual(b.rejected, a.rejected);
  assert.equal(r.fetched(), topic.partitions.flat().length);
  // Offsets were committed through the relay.
  assert.deepEqual(Object.keys(topic.committed).sort(), ["0", "1", "2"]);
});

Deno.test("fetch relay: a client failure fails the consumer with the same error, and the relay ends", async () => {
  await using tmp = await withTmpDir();
  const topic = new FakeTopic(1);
  events(500, { households: 20 }).forEach((e) =>
    topic.append(0, JSON.stringify(e))
  );
  const inner = topic.source();
  const failing: Source = {
    ...inner,
    async *deliveries(options) {
      let n = 0;
      for await (const d of inner.deliveries(options)) {
        yield d;
        if (++n === 2) {
          throw new BrokerError("Cannot fetch from topic t");
        }
      }
    },
  };
  const r = relayed(failing);
  await assert.rejects(
    consumeInto(tmp.path, r.relay),
    (e: Error) => e.name === "BrokerError" && /Cannot fetch/.test(e.message),
  );
  await assert.rejects(r.served, /Cannot fetch/);
  // Closing after a failure does not wait for a fetcher that is gone.
  await r.relay.close();
  r.close();
});

Deno.test("fetch relay: stopped from outside, it closes the client and ends", async () => {
  const topic = new FakeTopic(1);
  let closed = false;
  const inner = topic.source();
  const endless: Source = {
    ...inner,
    async *deliveries(options) {
      yield { type: "assigned", partitions: [0] };
      if (!options.signal.aborted) {
        await new Promise((r) => options.signal.addEventListener("abort", r));
      }
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
  const r = relayed(endless);
  const it = r.relay.deliveries({ signal: new AbortController().signal })[
    Symbol.asyncIterator
  ]();
  assert.deepEqual((await it.next()).value, {
    type: "assigned",
    partitions: [0],
  });
  r.stop.abort();
  await r.served;
  assert.ok(closed);
  // The consumer learns that the fetcher is gone; its close does not wait.
  await assert.rejects(it.next(), /fetcher was stopped/);
  await r.relay.close();
  r.close();
});

/** Records as the generator builds them (values are text). */
function outRecords(n: number, firstSeq: number): OutRecord[] {
  return events(n, { households: 30 }).map((e, i) => ({
    key: e["tvId"] as string,
    value: JSON.stringify(i === 3 ? { ...e, city: "La Louvière" } : e),
    timestamp: Date.parse(e.timestamp),
    event: e.event,
    seq: firstSeq + i,
  }));
}

/** The producer end over a channel, sending into `send`; records what it got. */
function producerEnd(
  send: (records: OutRecord[]) => Promise<void>,
  resume?: Position,
) {
  const channel = new MessageChannel();
  const stop = new AbortController();
  const got: OutRecord[] = [];
  const positions: Position[] = [];
  let closed = 0;
  const served = serveRelay(
    channel.port2,
    {
      sink: {
        async send(records) {
          await send(records);
          got.push(...records);
        },
        close() {
          closed++;
          return Promise.resolve();
        },
      },
      ...(resume ? { resume } : {}),
      onAck: (p) => {
        positions.push(p);
        return Promise.resolve();
      },
    },
    stop.signal,
    () => {},
  );
  const generator = createRelaySink(channel.port1);
  served.catch(() => {});
  return {
    generator,
    served,
    stop,
    got,
    positions,
    closed: () => closed,
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}

Deno.test("producer relay: records arrive whole and in order; acks and positions follow Kafka's", async () => {
  const p = producerEnd(() => new Promise((r) => setTimeout(r, 5)), {
    seq: 40,
    t: 1,
    n: 1,
  });
  assert.deepEqual(await p.generator.subscribed, { seq: 40, t: 1, n: 1 });
  const first = outRecords(120, 40);
  const second = outRecords(80, 160);
  await p.generator.sink.send(first);
  assert.equal(p.got.length, 120, "resolved only after the target sent");
  p.generator.onAck({ seq: 160, t: 2, n: 1 });
  await p.generator.sink.send(second);
  p.generator.onAck({ seq: 240, t: 3, n: 1 });
  await p.generator.sink.close();
  await p.served;
  p.close();
  const decoder = new TextDecoder();
  assert.deepEqual(
    p.got.map((r) => ({
      ...r,
      value: typeof r.value === "string" ? r.value : decoder.decode(r.value),
    })),
    [...first, ...second],
  );
  assert.deepEqual(p.positions.map((x) => x.seq), [160, 240]);
});

Deno.test("producer relay: a failed send fails the generator's send with its error", async () => {
  const p = producerEnd(() =>
    Promise.reject(
      new BrokerError('Cannot produce to topic "t"'),
    )
  );
  await p.generator.subscribed;
  await assert.rejects(
    p.generator.sink.send(outRecords(10, 0)),
    (e: Error) => e.name === "BrokerError" && /Cannot produce/.test(e.message),
  );
  await assert.rejects(p.served, /Cannot produce/);
  await assert.rejects(p.generator.sink.send(outRecords(10, 10)));
  p.close();
});

Deno.test("producer relay: stopped with a send pending, the send fails instead of hanging", async () => {
  const p = producerEnd(() => new Promise(() => {}));
  await p.generator.subscribed;
  // The target never acknowledges this batch; the next one waits behind it.
  void p.generator.sink.send(outRecords(5, 0)).catch(() => {});
  const pending = p.generator.sink.send(outRecords(5, 5));
  await new Promise((r) => setTimeout(r, 20));
  p.stop.abort();
  p.close();
  await assert.rejects(pending, /stopped/);
});

Deno.test("producer relay: encodeLines() writes every value as UTF-8 lines, past its size estimate too", () => {
  // The line buffer starts at 64 KiB: the "x"s nearly fill it, so the
  // "€"s outgrow it mid-string, and each "é" (two bytes) moves that point by
  // one, leaving 0, 1 and 2 bytes past a whole 3-byte character.
  for (const pad of ["", "é", "éé"]) {
    const values: (string | Uint8Array)[] = [
      pad,
      "x".repeat(63_500),
      // 6,000 bytes for 2,000 characters: outgrows the buffer.
      "€".repeat(2000),
      "after",
      "",
      new TextEncoder().encode('{"bytes":true}'),
      "La Louvière \u{1F4FA}",
      "Eén",
    ];
    const records: OutRecord[] = values.map((value, i) => ({
      key: String(i),
      value,
      timestamp: 0,
      event: "e",
      seq: i,
    }));
    const bytes = new Uint8Array(encodeLines(records));
    const expected = values.map((v) =>
      typeof v === "string" ? v : new TextDecoder().decode(v)
    ).join("\n") + "\n";
    assert.deepEqual(bytes, new TextEncoder().encode(expected), `pad ${pad}`);
  }
});

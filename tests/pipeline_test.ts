/**
 * Generator and consumer on one thread, linked by a real MessageChannel (the
 * embedded transport), writing a real warehouse: stopped mid-run and
 * restarted, the warehouse equals one uninterrupted run.
 */
import assert from "node:assert/strict";
import {
  createChannelSink,
  createChannelSource,
} from "../src/transport/channel.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
} from "../src/warehouse/fs.ts";
import { runConsumer } from "../src/consumer/run.ts";
import { runGenerator } from "../src/generator/run.ts";
import { advertiserNames } from "../src/model/faker.ts";
import { type OutRecord, SYSTEM_CLOCK } from "../src/ports.ts";
import { readTable } from "../tools/read_table.ts";
import { config, events, sinkSettings, withTmpDir } from "./_helpers.ts";

async function pipeline(dir: string, events?: number) {
  const args = [
    "--from",
    "2026-11-02T18:00:00Z",
    "--to",
    "2026-11-03T02:00:00Z",
    "--households",
    "60",
    "--rate",
    "0",
    "--seed",
    "5",
  ];
  const cfg = config(events ? [...args, "--events", String(events)] : args);
  const channel = new MessageChannel();
  // As the generator worker opens it: its records carry their event times.
  const { sink, subscribed } = createChannelSink(channel.port1, undefined, {
    trusted: true,
  });
  const source = createChannelSource(channel.port2, "tv_events");
  const signal = new AbortController().signal;
  const consumer = runConsumer({
    topic: "tv_events",
    settings: sinkSettings(dir, { maxFileRows: 4000 }),
    source,
    warehouse: createFsWarehouse(`${dir}/warehouse`, "tv_events"),
    store: createJsonCheckpointStore(`${dir}/chk`),
    clock: SYSTEM_CLOCK,
    signal,
  });
  const resume = await subscribed;
  const gen = await runGenerator({
    settings: cfg.generator,
    advertisers: advertiserNames(),
    sink,
    clock: SYSTEM_CLOCK,
    signal,
    ...(resume ? { resume } : {}),
  });
  await sink.close();
  const stats = await consumer;
  await source.close();
  channel.port1.close();
  return { gen, stats };
}

async function eventIds(dir: string): Promise<string[]> {
  const rows = await readTable(`${dir}/warehouse`, "tv_events", ["eventId"]);
  return rows.map((r) => r.values["eventId"] as string).sort();
}

Deno.test("embedded pipeline stopped and restarted equals one uninterrupted run", async () => {
  await using whole = await withTmpDir();
  const once = await pipeline(whole.path);
  assert.ok(once.gen.events > 20_000);
  assert.equal(once.stats.rows, once.gen.events);
  await using parts = await withTmpDir();
  await pipeline(parts.path, 7_777);
  await pipeline(parts.path, 5_000);
  await pipeline(parts.path);
  const a = await eventIds(whole.path);
  const b = await eventIds(parts.path);
  assert.equal(b.length, a.length);
  assert.deepEqual(b, a);
  assert.equal(new Set(b).size, b.length);
});

Deno.test("embedded transport: records travel as text; bad ones are rejected with their exact bytes", async () => {
  // The channel carries text and makes a record's bytes only when the
  // consumer needs them: sizing text that might be oversized (UTF-8 is up
  // to 3 bytes per character) and keeping a rejected record.
  await using tmp = await withTmpDir();
  const good = events(120, { households: 30 });
  const e = good[0]!;
  const max = 4000;
  // Padding that takes the record to about 4,300 bytes in fewer than 4,000
  // characters: three bytes per euro sign.
  const base = new TextEncoder().encode(JSON.stringify({ ...e, note: "" }));
  const euros = Math.ceil((4_300 - base.length) / 3);
  const bad: [string, RegExp][] = [
    ["not json at all", /not JSON/],
    ["", /empty record/],
    ["[1,2,3]", /not a JSON object/],
    [JSON.stringify({ ...e, event: "teleport" }), /unknown event type/],
    // Oversized only when counted in bytes.
    [
      JSON.stringify({ ...e, note: "€".repeat(euros) }),
      /oversized.*\(4\d{3} bytes > 4000\)/,
    ],
    // 1,100 characters, 3,300 bytes: under the limit, then invalid.
    [JSON.stringify({ ...e, note: "é".repeat(1000) }), /unknown field "note"/],
  ];
  const records: OutRecord[] = [];
  const expected: string[] = [];
  good.forEach((g, i) => {
    records.push({
      key: String(g.tvId),
      value: JSON.stringify(g),
      timestamp: 0,
      event: String(g.event),
      seq: records.length,
    });
    expected.push(g.eventId);
    const b = bad[i % 20 === 0 ? i / 20 : -1];
    if (b) {
      records.push({
        key: "x",
        value: b[0],
        timestamp: 0,
        event: "x",
        seq: records.length,
      });
    }
  });
  const channel = new MessageChannel();
  const { sink, subscribed } = createChannelSink(channel.port1);
  const source = createChannelSource(channel.port2, "tv_events");
  const consumer = runConsumer({
    topic: "tv_events",
    settings: sinkSettings(tmp.path),
    source,
    warehouse: createFsWarehouse(`${tmp.path}/warehouse`, "tv_events"),
    store: createJsonCheckpointStore(`${tmp.path}/chk`),
    clock: SYSTEM_CLOCK,
    signal: new AbortController().signal,
    maxRecordBytes: max,
  });
  await subscribed;
  await sink.send(records);
  await sink.close();
  const stats = await consumer;
  await source.close();
  channel.port1.close();
  assert.equal(stats.rows, good.length);
  assert.equal(stats.rejected, bad.length);
  assert.deepEqual(await eventIds(tmp.path), expected.sort());
  const dir = `${tmp.path}/warehouse/tv_events/_rejected`;
  const lines: { reason: string; raw: string | null }[] = [];
  for await (const f of Deno.readDir(dir)) {
    for (
      const l of (await Deno.readTextFile(`${dir}/${f.name}`)).trim().split(
        "\n",
      )
    ) {
      lines.push(JSON.parse(l));
    }
  }
  assert.equal(lines.length, bad.length);
  bad.forEach(([text, reason], i) => {
    assert.match(lines[i]!.reason, reason);
    const raw = Uint8Array.from(atob(lines[i]!.raw!), (c) => c.charCodeAt(0));
    assert.deepEqual(raw, new TextEncoder().encode(text));
  });
});

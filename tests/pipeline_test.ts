/**
 * Generator and consumer on one thread, linked by a real MessageChannel (the
 * embedded transport), writing a real warehouse: stopped mid-run and
 * restarted, the warehouse equals one uninterrupted run.
 */
import assert from "node:assert/strict";
import {
  createChannelSink,
  createChannelSource,
} from "../src/adapters/channel.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
} from "../src/adapters/fs.ts";
import { runConsumer } from "../src/consumer/run.ts";
import { runGenerator } from "../src/generator/run.ts";
import { advertiserNames } from "../src/adapters/faker.ts";
import { SYSTEM_CLOCK } from "../src/ports.ts";
import { readTable } from "../bench/_warehouse.ts";
import { config, sinkSettings, withTmpDir } from "./_helpers.ts";

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
  const { sink, subscribed } = createChannelSink(channel.port1);
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

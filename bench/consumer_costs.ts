/**
 * Where a backfill's time goes, per event, in one thread: the generator's
 * work (the simulator writing each event's JSON text) and each step the
 * embedded consumer takes for a record (JSON.parse, the record check,
 * column buffering, the live view's tally, Parquet encoding), each timed
 * alone on the same events with the product's own functions.
 *
 * Usage: deno run -A bench/consumer_costs.ts [EVENTS]
 *
 * @module
 */
import { createSimulator } from "../src/model/simulator.ts";
import { advertiserNames } from "../src/model/faker.ts";
import { eventProblem } from "../src/model/event.ts";
import { ColumnBuffer } from "../src/warehouse/table.ts";
import { AudienceTally } from "../src/live/tally.ts";

const n = Number(Deno.args[0] ?? 300_000);
const FILE_ROWS = 10_000;

function time(what: string, fn: () => void): number {
  fn(); // warm-up pass, not timed
  const started = performance.now();
  fn();
  const us = (performance.now() - started) * 1000 / n;
  console.log(`${what.padEnd(44)} ${us.toFixed(2)} us/event`);
  return us;
}

const lines: string[] = [];
const generate = () => {
  lines.length = 0;
  const sim = createSimulator({
    seed: 42,
    households: 1000,
    startMs: Date.parse("2026-11-01T00:00:00Z"),
    endMs: Date.parse("2026-11-02T00:00:00Z"),
    advertisers: advertiserNames(),
  });
  for (let i = 0; i < n; i++) {
    const r = sim.nextRecord();
    if (!r) break;
    lines.push(r.json);
  }
};
const costs: Record<string, number> = {};
costs["generate (simulator, JSON text)"] = time(
  "generator: simulate and write JSON text",
  generate,
);
// The consumer's steps, file by file as it runs them (10k rows), so that
// parsed events are as short-lived as in the product; each step's time is
// summed over the files. A first pass warms up.
const steps = [
  "JSON.parse",
  "record check",
  "column buffering",
  "live view tally",
  "Parquet encoding",
];
for (const pass of [0, 1]) {
  const spent = new Map(steps.map((k) => [k, 0]));
  const tally = new AudienceTally();
  const clock = (k: string, fn: () => void) => {
    const t0 = performance.now();
    fn();
    spent.set(k, spent.get(k)! + performance.now() - t0);
  };
  for (let from = 0; from < lines.length; from += FILE_ROWS) {
    const chunk = lines.slice(from, from + FILE_ROWS);
    let parsed: Record<string, unknown>[] = [];
    const times = new Float64Array(chunk.length);
    const buffer = new ColumnBuffer(0);
    clock("JSON.parse", () => parsed = chunk.map((l) => JSON.parse(l)));
    clock("record check", () => {
      const t = { ms: 0 };
      parsed.forEach((e, i) => {
        eventProblem(e, t);
        times[i] = t.ms;
      });
    });
    clock(
      "column buffering",
      () => parsed.forEach((e, i) => buffer.append(e, times[i]!, from + i)),
    );
    clock(
      "live view tally",
      () => parsed.forEach((e, i) => tally.observe(e, times[i]!)),
    );
    clock("Parquet encoding", () => buffer.encode({ compression: "snappy" }));
  }
  if (pass === 0) continue;
  for (const [k, ms] of spent) {
    costs[k] = ms * 1000 / lines.length;
    console.log(
      `${("consumer: " + k).padEnd(44)} ${costs[k]!.toFixed(2)} us/event`,
    );
  }
}
const consumer = Object.entries(costs).filter(([k]) =>
  !k.startsWith("generate")
)
  .reduce((s, [, v]) => s + v, 0);
console.log(
  `${"consumer: sum of its steps".padEnd(44)} ${
    consumer.toFixed(2)
  } us/event (GC inside each step; the transport and flushing not included)`,
);

import assert from "node:assert/strict";
import { createSimulator } from "../../src/model/simulator.ts";
import { causedRate, householdsForRate } from "../../src/model/rate_profile.ts";
import { planPopulation, runGenerator } from "../../src/generator/run.ts";
import type { Clock, OutRecord } from "../../src/ports.ts";
import { measureCaused } from "../../tools/rate_profile.ts";

const advertisers = ["Acme"];
const HOUR = 3_600_000;

Deno.test("the rate profile matches the simulator (rerun tools/rate_profile.ts when it does not)", () => {
  // Another seed than the profile's, in a stream thinned as the profile's
  // was: Monday 20 h and Tuesday 2 h in Brussels.
  for (const at of ["2026-11-02T19:00:00Z", "2026-11-03T01:00:00Z"]) {
    const from = Date.parse(at);
    const measured = measureCaused(householdsForRate(15), 7, from, 1, 15)
      .find((v) => !isNaN(v))!;
    const table = causedRate(from + HOUR / 2);
    assert.ok(
      Math.abs(measured / table - 1) < 0.25,
      `${at}: measured ${measured.toFixed(4)}, profile ${table.toFixed(4)}`,
    );
  }
});

/** Events per hour of a stream thinned to `rate`, from `from` for `hours`. */
function hourly(rate: number, from: number, hours: number): number[] {
  const sim = createSimulator({
    seed: 11,
    households: householdsForRate(rate),
    startMs: from,
    endMs: from + hours * HOUR,
    advertisers,
    rate,
  });
  const counts = new Array<number>(hours).fill(0);
  for (let r = sim.nextRecord(); r; r = sim.nextRecord()) {
    counts[Math.floor((r.t - from) / HOUR)]!++;
  }
  return counts.map((c) => c / 3600);
}

Deno.test("a stream thinned to --rate holds it through the evening peak and the night", () => {
  // 16 h to 6 h in Brussels: the 40x swing of the natural rate.
  const rates = hourly(30, Date.parse("2026-11-02T15:00:00Z"), 14);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  assert.ok(Math.abs(mean / 30 - 1) < 0.1, `mean ${mean.toFixed(1)}/s`);
  for (const [h, r] of rates.entries()) {
    assert.ok(
      Math.abs(r / 30 - 1) < 0.3,
      `hour ${h}: ${r.toFixed(1)}/s (all: ${rates.map((x) => x.toFixed(0))})`,
    );
  }
});

Deno.test("a thinned stream resumed at a position continues the same stream", () => {
  const options = {
    seed: 4,
    households: householdsForRate(20),
    startMs: Date.parse("2026-11-04T18:00:00Z"),
    endMs: Date.parse("2026-11-04T18:20:00Z"),
    advertisers,
    rate: 20,
  };
  const whole = createSimulator(options);
  const lines: string[] = [];
  for (let r = whole.nextRecord(); r; r = whole.nextRecord()) {
    lines.push(r.json);
  }
  assert.ok(lines.length > 10_000, `${lines.length} events`);
  const head = createSimulator(options);
  for (let i = 0; i < 7_000; i++) head.nextRecord();
  const rest = createSimulator({ ...options, resume: head.position() });
  const tail: string[] = [];
  for (let r = rest.nextRecord(); r; r = rest.nextRecord()) tail.push(r.json);
  assert.deepEqual(tail, lines.slice(7_000));
});

/** A clock that jumps through sleeps: a live run without waiting. */
function virtualClock(start: number): Clock {
  let now = start;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

Deno.test("live --rate keeps event time on the wall clock and the rate near N", async () => {
  const start = Date.parse("2026-11-02T18:30:00Z");
  const settings = { seed: 2, rate: 200, durationSec: 600 };
  const plan = planPopulation(settings, start);
  assert.equal(plan.startMs, start);
  assert.equal(plan.thin, 200);
  const clock = virtualClock(start);
  let first: number | undefined;
  let last = 0;
  let behind = 0;
  const stats = await runGenerator({
    settings,
    clock,
    signal: new AbortController().signal,
    advertisers,
    sink: {
      send(records: OutRecord[]) {
        first ??= records[0]!.timestamp;
        last = records.at(-1)!.timestamp;
        behind = Math.max(behind, clock.now() - last);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    },
  });
  assert.ok(first! >= start, "no backlog before the start");
  assert.ok(last <= clock.now(), "never ahead of the clock");
  assert.ok(behind < 2_000, `event time fell ${behind} ms behind`);
  const rate = stats.events / 600;
  assert.ok(Math.abs(rate / 200 - 1) < 0.2, `${rate.toFixed(1)} events/s`);
});

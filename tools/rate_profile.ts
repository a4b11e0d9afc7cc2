/**
 * Measures, for each hour of the Brussels week, the events per household
 * and second that the sessions starting in it cause, and writes
 * `src/model/rate_profile.json`, from which live `--rate` sizes and thins
 * its audience. Rerun it when the model's volumes change;
 * tests/model/rate_profile_test.ts says when it is stale.
 *
 * Usage: deno run -A tools/rate_profile.ts [--households 600] [--seeds 1,2] [--thinned 40]
 *
 * The profile in the repository: a whole population's first (1,000
 * households), then streams thinned to 40 events/s by the profile before
 * (seed 3), and the average of three such weeks (seeds 3, 5, 9), each
 * thinned by the profile before it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createSimulator, SLOT_MS } from "../src/model/simulator.ts";
import { MAX_SESSION_MS } from "../src/model/session.ts";
import { audienceAt, householdsForRate } from "../src/model/rate_profile.ts";
import { advertiserNames } from "../src/model/faker.ts";
import { brusselsHour, brusselsWeekday, HOUR_MS } from "../src/model/time.ts";

/** The arrival slot of an event's session, from its appSessionId (AS_<slot><3-digit index>, base 36). */
function sessionSlot(json: string): number {
  const at = json.indexOf('"appSessionId":"AS_') + 19;
  const end = json.indexOf('"', at);
  return parseInt(json.slice(at, end - 3), 36);
}

/**
 * For each hour of the Brussels week (Sunday 0 h first): the events that
 * the sessions starting in it cause, per household and second, measured on
 * sessions starting in [fromMs, fromMs + hours). Sessions spread their
 * events over the hours after they start; counting them by start is what
 * lets a thinned audience hold a rate (see rate_profile.ts). Hours not
 * measured are NaN.
 */
export function measureCaused(
  households: number,
  seed: number,
  fromMs: number,
  hours: number,
  rate?: number,
): number[] {
  const counts = new Array<number>(168).fill(NaN);
  // Household-seconds in each hour: the audience's, in a thinned stream.
  const exposure = new Array<number>(168).fill(0);
  const toMs = fromMs + hours * HOUR_MS;
  for (let t = fromMs; t < toMs; t += SLOT_MS) {
    counts[hourOfWeek(t)] = 0;
    exposure[hourOfWeek(t)]! += 60 *
      (rate === undefined
        ? households
        : audienceAt(seed, households, rate, t + SLOT_MS / 2).size);
  }
  const sim = createSimulator({
    seed,
    households,
    startMs: fromMs,
    // Long enough for the last sessions to end.
    endMs: toMs + MAX_SESSION_MS,
    advertisers: advertiserNames(),
    ...(rate !== undefined ? { rate } : {}),
  });
  for (let r = sim.nextRecord(); r; r = sim.nextRecord()) {
    const start = sessionSlot(r.json) * SLOT_MS;
    if (start < fromMs || start >= toMs) continue;
    counts[hourOfWeek(start)]!++;
  }
  return counts.map((c, h) => c / exposure[h]!);
}

function hourOfWeek(t: number): number {
  return brusselsWeekday(t) * 24 + brusselsHour(t);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      households: { type: "string", default: "600" },
      // Several (comma-separated): one week each, averaged.
      seeds: { type: "string", default: "1" },
      // Measure in a stream thinned (by the current profile) to this rate:
      // its households, in the audience only part of the day, behave a
      // little differently (fewer of their sessions are cut short).
      thinned: { type: "string" },
    },
  });
  // A winter Monday, midnight in Brussels: no daylight-saving change inside.
  const from = Date.parse("2026-11-01T23:00:00Z");
  const rate = values.thinned ? Number(values.thinned) : undefined;
  const households = rate === undefined
    ? Number(values.households)
    : householdsForRate(rate);
  const seeds = values.seeds.split(",").map(Number);
  const weeks = seeds.map((seed) =>
    measureCaused(households, seed, from, 168, rate)
  );
  const rates = weeks[0]!.map((_, h) =>
    weeks.reduce((sum, w) => sum + w[h]!, 0) / weeks.length
  );
  const profile = {
    about:
      "Events per household and second caused by the sessions starting in each hour of the Brussels week, Sunday 00h first; written by tools/rate_profile.ts",
    households,
    ...(rate !== undefined ? { thinnedTo: rate } : {}),
    seeds,
    from: new Date(from).toISOString(),
    perHouseholdSecond: rates.map((r) => Number(r.toPrecision(4))),
  };
  const path = new URL("../src/model/rate_profile.json", import.meta.url);
  await Deno.writeTextFile(path, JSON.stringify(profile, null, 2) + "\n");
  console.log(`wrote ${path.pathname}`);
}

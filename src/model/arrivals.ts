/**
 * App-session arrivals: per one-minute slot, a seeded Poisson count whose
 * mean follows the Brussels diurnal and weekly curves, each arrival with
 * its own time, household, device and session seed; and the admission
 * rules (a new session on a screen ends the one running there; a household
 * runs at most size + 1), judged on raw arrivals so that they need only a
 * bounded lookback and lookahead (see simulator.ts).
 *
 * @module
 */
import type { Incidents } from "./incident_effects.ts";
import {
  type Catalog,
  DEFAULT_CATALOG,
  HOURLY_TEMPLATE,
  WEEKDAY_FACTOR,
} from "./catalog.ts";
import {
  type HouseholdCore,
  householdCoreAt,
  MAX_DEVICES,
} from "./household.ts";
import { hash32, Rng } from "./rng.ts";
import { audienceAt } from "./rate_profile.ts";
import { drawSessionLength, MAX_SESSION_MS } from "./session.ts";
import { brusselsHour, brusselsWeekday } from "./time.ts";

/** Length of one arrival slot. */
export const SLOT_MS = 60_000;

/**
 * App sessions that could start per household per day (calibrated to
 * realism 1.1 volumes); households with fewer than {@linkcode FULL_HOUSE}
 * watchers start proportionally fewer.
 */
const ARRIVALS_PER_HOUSEHOLD_DAY = 14.5;
/** Share of arrivals at a TV set in use that join the viewing rather than take over. */
const JOIN_SHARE = 0.5;
/** Watchers from whom a household's viewing stops growing with its size. */
const FULL_HOUSE = 3;
/**
 * How much of a device's time raw sessions cover at the peak hour: a new
 * arrival ends the session running on its device, so viewing grows as
 * 1 - e^-x with arrivals; the arrival rate is raised where the curve bends.
 */
const PEAK_COVER = 0.6;

/** Exponent applied to the template's shape for arrivals. */
const SHARPEN = 1.3;
const TEMPLATE_MAX = Math.max(...HOURLY_TEMPLATE);
const TEMPLATE_MEAN = HOURLY_TEMPLATE.reduce((a, b) => a + b, 0) / 24;
/** Arrival-rate factor per Brussels hour that turns the template into viewing. */
const HOUR_FACTOR = HOURLY_TEMPLATE.map((v) => {
  const cover = PEAK_COVER * v / TEMPLATE_MAX;
  // Sharpened: long sessions spread an hour's arrivals over the next ones.
  return -Math.log(1 - cover) / cover * (v / TEMPLATE_MEAN) ** SHARPEN;
});

/** Returns the mean number of arrivals in one slot for a population. */
export function slotArrivalMean(households: number, slotStart: number): number {
  // Arrivals lead viewing minutes by about 40 minutes.
  const at = slotStart + 40 * 60_000;
  const week = WEEKDAY_FACTOR[brusselsWeekday(at)]!;
  return households * ARRIVALS_PER_HOUSEHOLD_DAY *
    HOUR_FACTOR[brusselsHour(at)]! * week / (24 * 60);
}

/**
 * How long a session lasts by the Brussels hour it starts: the evening's
 * sessions run through prime time, the day's are short.
 */
const LENGTH_BY_HOUR = [
  0.5,
  0.5,
  0.5,
  0.5,
  0.5,
  0.5,
  0.5,
  0.6,
  0.6,
  0.7,
  0.7,
  0.7,
  0.8,
  0.8,
  0.8,
  0.8,
  0.9,
  1.0,
  1.1,
  1.2,
  1.1,
  0.9,
  0.6,
  0.5,
];

/** Lookahead of raw arrivals: a session can end no later than this after it starts. */
const LOOKAHEAD_SLOTS = Math.ceil(MAX_SESSION_MS / SLOT_MS) + 1;

/** An admitted arrival: a session to start. */
export interface Arrival {
  /** Start (ms). */
  t: number;
  /** Index in its slot. */
  i: number;
  household: HouseholdCore;
  /** Device index in the household. */
  device: number;
  /** The session's own generator, its raw length already drawn. */
  rng: Rng;
  /**
   * End (ms): its raw end, or a second before the next raw arrival on the
   * same device, whoever turned the screen on then.
   */
  rawEnd: number;
}

/** One raw arrival, its device and raw length drawn. */
interface Raw {
  t: number;
  i: number;
  h: number;
  d: number;
  rng: Rng;
  rawEnd: number;
}

/**
 * Raw arrivals slot by slot. An arrival on a screen already in use ends
 * the session running there (someone else takes the remote): whether and
 * when a session ends depends only on raw arrivals up to
 * {@linkcode MAX_SESSION_MS} ahead, which are generated that far ahead.
 */
export class Arrivals {
  readonly #seed: number;
  readonly #households: number;
  /** Events/s the audience is thinned to, if any. */
  readonly #rate: number | undefined;
  /** The slice of the households kept, if any. */
  readonly #shard: { index: number; count: number } | undefined;
  /** Raw arrivals generated ahead, by slot. */
  readonly #ahead = new Map<number, Raw[]>();
  /** Start times of the raw arrivals ahead, per device (household * MAX_DEVICES + device). */
  readonly #upcoming = new Map<number, number[]>();
  /**
   * Nominal ends of each household's raw arrivals: drawn apart from the
   * device, so that how many run at once never depends on which screens
   * earlier arrivals took.
   */
  readonly #householdBusy = new Map<number, number[]>();
  /** Raw ends of each household's raw arrivals. */
  readonly #rawEnds = new Map<number, number[]>();
  readonly #cores = new Map<number, HouseholdCore>();
  readonly #catalog: Catalog;
  readonly #incidents: Incidents | undefined;
  /** Next slot to generate. */
  #generated: number | undefined;

  /**
   * Arrivals of a seeded population of `households`; with `rate`, only
   * those of the day's audience for about `rate` events/s; with `shard`,
   * only its slice of the households (each drawn as in the whole, so that
   * the slices add up to it); households live in `catalog`'s world, and
   * `incidents` may bring more of them to the screen.
   */
  constructor(
    seed: number,
    households: number,
    rate?: number,
    shard?: { index: number; count: number },
    catalog: Catalog = DEFAULT_CATALOG,
    incidents?: Incidents,
  ) {
    this.#catalog = catalog;
    this.#incidents = incidents;
    this.#seed = seed;
    this.#households = households;
    this.#rate = rate;
    this.#shard = shard;
  }

  /** The arrivals of `slot` that are admitted, in time order. */
  admit(slot: number): Arrival[] {
    if (this.#generated === undefined || this.#generated < slot) {
      this.#ahead.clear();
      this.#upcoming.clear();
      this.#generated = slot;
    }
    while (this.#generated <= slot + LOOKAHEAD_SLOTS) {
      this.#generate(this.#generated++);
    }
    const raw = this.#ahead.get(slot) ?? [];
    this.#ahead.delete(slot);
    const admitted: Arrival[] = [];
    for (const a of raw) {
      const key = a.h * MAX_DEVICES + a.d;
      const times = this.#upcoming.get(key)!;
      times.shift();
      const next = times[0];
      if (times.length === 0) this.#upcoming.delete(key);
      const end = next !== undefined && next - 1_000 < a.rawEnd
        ? next - 1_000
        : a.rawEnd;
      if (this.#full(a.h, a.t, Math.max(a.t + 1, end), this.#core(a.h).size)) {
        continue;
      }
      admitted.push({
        t: a.t,
        i: a.i,
        household: this.#core(a.h),
        device: a.d,
        rng: a.rng,
        rawEnd: Math.max(a.t + 1, end),
      });
    }
    if ((slot + 1) % 60 === 0) this.#forget(slot * SLOT_MS);
    return admitted;
  }

  /** Draws the raw arrivals of `slot`: times, households, devices, raw lengths. */
  #generate(slot: number): void {
    const slotStart = slot * SLOT_MS;
    const rng = new Rng(hash32(this.#seed, slot, 0x5107));
    // A thinned stream draws from the slot's audience: each of its
    // households arrives as often as in the whole population.
    const audience = this.#rate === undefined ? undefined : audienceAt(
      this.#seed,
      this.#households,
      this.#rate,
      slotStart + SLOT_MS / 2,
    );
    const mean = slotArrivalMean(audience?.size ?? this.#households, slotStart);
    // A live event draws viewers who would not have watched.
    const boost = this.#incidents?.audienceBoost(slotStart) ?? 0;
    const count = rng.poisson(boost > 0 ? mean * (1 + boost) : mean);
    const picks: { t: number; i: number; h: number }[] = [];
    const shard = this.#shard;
    for (let i = 0; i < count; i++) {
      const t = slotStart + rng.int(SLOT_MS);
      const h = audience
        ? audience.household(rng.int(audience.size))
        : rng.int(this.#households);
      if (shard && h % shard.count !== shard.index) continue;
      picks.push({ t, i, h });
    }
    picks.sort((a, b) => a.t - b.t || a.i - b.i);
    const raw: Raw[] = [];
    for (const p of picks) {
      const hh = this.#core(p.h);
      const srng = new Rng(hash32(this.#seed, slot, p.i, 0xa5));
      // Viewing grows with the people who watch: CIM's minutes are per
      // person, so a household of three watches about three times one.
      if (!srng.chance(Math.min(1, watchersOf(hh) / FULL_HOUSE))) continue;
      const running = this.#running(p.h, p.t, srng);
      const d = pickDevice(srng, hh, running);
      if (d < 0) continue;
      const rawEnd = p.t + drawSessionLength(
        srng,
        hh.deviceTypes[d]!,
        this.#catalog.viewing[hh.city]! * LENGTH_BY_HOUR[brusselsHour(p.t)]!,
      );
      raw.push({ ...p, d, rng: srng, rawEnd });
      const key = p.h * MAX_DEVICES + d;
      let times = this.#upcoming.get(key);
      if (!times) this.#upcoming.set(key, times = []);
      times.push(p.t);
    }
    this.#ahead.set(slot, raw);
  }

  /**
   * How many of the household's raw arrivals run at `t`, by their nominal
   * ends; records this one's. It sends a new arrival to another screen.
   */
  #running(h: number, t: number, rng: Rng): number {
    const nominal = rng.lognormal(55 * 60_000, 0.8);
    return runningAt(
      this.#householdBusy,
      h,
      t,
      t + Math.min(MAX_SESSION_MS, nominal),
    );
  }

  /**
   * Household concurrency (rule 16): at most size + 1 sessions at once,
   * counted over the ends of every raw arrival (kept or not), which do not
   * depend on what was kept.
   */
  #full(h: number, t: number, rawEnd: number, size: number): boolean {
    return runningAt(this.#rawEnds, h, t, rawEnd) >= size + 1;
  }

  /** Drops households idle since `before`. */
  #forget(before: number): void {
    for (const map of [this.#householdBusy, this.#rawEnds]) {
      for (const [key, ends] of map) {
        if (ends.every((e) => e <= before)) map.delete(key);
      }
    }
  }

  #core(index: number): HouseholdCore {
    let h = this.#cores.get(index);
    if (!h) {
      h = householdCoreAt(this.#seed, index, this.#catalog);
      // Bounded: households that watch often are looked up again soon.
      if (this.#cores.size >= 100_000) this.#cores.clear();
      this.#cores.set(index, h);
    }
    return h;
  }
}

/**
 * Picks the screen of an arrival by weight. When that is a TV set likely in
 * use (one of the `running` first), the arrival goes to a free TV set if
 * the household has one; otherwise, half the time, the newcomer joins
 * what is on (-1: no session) instead of taking the remote.
 */
function pickDevice(rng: Rng, hh: HouseholdCore, running: number): number {
  const d = rng.pickCumulative(hh.deviceWeights);
  if (d >= running || d >= hh.tvCount) return d;
  if (running < hh.tvCount) return running;
  return rng.chance(JOIN_SHARE) ? -1 : d;
}

/** Members of a household who watch at all. */
function watchersOf(hh: HouseholdCore): number {
  let n = 0;
  for (let w = hh.watchers; w; w &= w - 1) n++;
  return n;
}

/**
 * Counts the ends recorded for household `h` that are still ahead at `t`
 * (dropping the passed ones), then records `end`.
 */
function runningAt(
  ends: Map<number, number[]>,
  h: number,
  t: number,
  end: number,
): number {
  let list = ends.get(h);
  if (!list) ends.set(h, list = []);
  let running = 0;
  for (let k = list.length - 1; k >= 0; k--) {
    if (list[k]! > t) running++;
    else list.splice(k, 1);
  }
  list.push(end);
  return running;
}

/**
 * App-session arrivals: per one-minute slot, a seeded Poisson count whose
 * mean follows the Brussels diurnal and weekly curves, each arrival with
 * its own time, household, device and session seed; and the admission
 * rules (a device runs one session at a time; a household at most
 * size + 1), judged on raw arrivals so that they need only a bounded
 * lookback (see simulator.ts).
 *
 * @module
 */
import { HOURLY_TEMPLATE, WEEKDAY_FACTOR } from "./catalog.ts";
import {
  type HouseholdCore,
  householdCoreAt,
  MAX_DEVICES,
} from "./household.ts";
import { hash32, Rng } from "./rng.ts";
import { drawSessionLength } from "./session.ts";
import { brusselsHour, brusselsWeekday } from "./time.ts";

/** Length of one arrival slot. */
export const SLOT_MS = 60_000;

/** App sessions started per household per day, on average. */
const ARRIVALS_PER_HOUSEHOLD_DAY = 3.3;
/** Busy share of devices at the peak hour, used to offset dropped arrivals. */
const PEAK_BUSY = 0.45;

const TEMPLATE_MAX = Math.max(...HOURLY_TEMPLATE);
const TEMPLATE_MEAN = HOURLY_TEMPLATE.reduce((a, b) => a + b, 0) / 24;

/** Returns the mean number of arrivals in one slot for a population. */
export function slotArrivalMean(households: number, slotStart: number): number {
  // Arrivals lead viewing minutes by about 40 minutes (sessions last ~1 h).
  const at = slotStart + 40 * 60_000;
  const h = brusselsHour(at);
  const shape = HOURLY_TEMPLATE[h]! / TEMPLATE_MEAN;
  const busy = PEAK_BUSY * HOURLY_TEMPLATE[h]! / TEMPLATE_MAX;
  const week = WEEKDAY_FACTOR[brusselsWeekday(at)]!;
  return households * ARRIVALS_PER_HOUSEHOLD_DAY * shape * week /
    (1 - busy) / (24 * 60);
}

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
  /** Raw end (ms). */
  rawEnd: number;
}

/** Raw arrivals slot by slot, with the busy state admission needs. */
export class Arrivals {
  readonly #seed: number;
  readonly #households: number;
  /** Raw end of the last arrival per device (household * MAX_DEVICES + device). */
  readonly #busy = new Map<number, number>();
  /** Raw ends of each household's running arrivals. */
  readonly #householdBusy = new Map<number, number[]>();
  readonly #cores = new Map<number, HouseholdCore>();

  /** Arrivals of a seeded population of `households`. */
  constructor(seed: number, households: number) {
    this.#seed = seed;
    this.#households = households;
  }

  /** The arrivals of `slot` that are admitted, in time order. */
  admit(slot: number): Arrival[] {
    const slotStart = slot * SLOT_MS;
    const rng = new Rng(hash32(this.#seed, slot, 0x5107));
    const count = rng.poisson(slotArrivalMean(this.#households, slotStart));
    const raw: { t: number; i: number; h: number }[] = [];
    for (let i = 0; i < count; i++) {
      raw.push({
        t: slotStart + rng.int(SLOT_MS),
        i,
        h: rng.int(this.#households),
      });
    }
    raw.sort((a, b) => a.t - b.t || a.i - b.i);
    const admitted: Arrival[] = [];
    for (const a of raw) {
      const arrival = this.#consider(slot, a.t, a.i, a.h);
      if (arrival) admitted.push(arrival);
    }
    if ((slot + 1) % 60 === 0) this.#forget(slotStart);
    return admitted;
  }

  /** Records one raw arrival; returns it if its device and household are free. */
  #consider(
    slot: number,
    t: number,
    i: number,
    h: number,
  ): Arrival | undefined {
    const hh = this.#core(h);
    const srng = new Rng(hash32(this.#seed, slot, i, 0xa5));
    const d = srng.pickCumulative(hh.deviceWeights);
    const rawEnd = t + drawSessionLength(srng, hh.deviceTypes[d]!);
    const key = h * MAX_DEVICES + d;
    const until = this.#busy.get(key);
    // Household concurrency (rule 16): at most size + 1 sessions at once,
    // counted over raw arrivals so that it too needs only the lookback.
    let ends = this.#householdBusy.get(h);
    if (!ends) this.#householdBusy.set(h, ends = []);
    let running = 0;
    for (let k = ends.length - 1; k >= 0; k--) {
      if (ends[k]! > t) running++;
      else ends.splice(k, 1);
    }
    ends.push(rawEnd);
    if (until !== undefined && until > t) {
      if (rawEnd > until) this.#busy.set(key, rawEnd);
      return undefined;
    }
    this.#busy.set(key, rawEnd);
    if (running >= hh.size + 1) return undefined;
    return { t, i, household: hh, device: d, rng: srng, rawEnd };
  }

  /** Drops devices and households idle since `before`. */
  #forget(before: number): void {
    for (const [key, until] of this.#busy) {
      if (until <= before) this.#busy.delete(key);
    }
    for (const [key, ends] of this.#householdBusy) {
      if (ends.every((e) => e <= before)) this.#householdBusy.delete(key);
    }
  }

  #core(index: number): HouseholdCore {
    let h = this.#cores.get(index);
    if (!h) {
      h = householdCoreAt(this.#seed, index);
      // Bounded: households that watch often are looked up again soon.
      if (this.#cores.size >= 100_000) this.#cores.clear();
      this.#cores.set(index, h);
    }
    return h;
  }
}

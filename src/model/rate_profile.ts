/**
 * How many events the sessions starting at each hour of the Brussels week
 * cause per household (measured by tools/rate_profile.ts), and the
 * audience a live `--rate` stream keeps: each day a seeded order of the
 * households, of which the stream keeps as many as cause about the target
 * rate. Sizing by what arrivals cause, not by the rate of the moment,
 * matters: at 2 am most events come from sessions begun in the evening,
 * so an audience sized by the rate then would start far too few.
 *
 * @module
 */
import profile from "./rate_profile.json" with { type: "json" };
import { brusselsOffsetMs, DAY_MS, HOUR_MS } from "./time.ts";
import { hash32 } from "./rng.ts";

const RATES: readonly number[] = profile.perHouseholdSecond;
const WEEK_MS = 7 * DAY_MS;
/** A Sunday, 00:00: where the profile's hours of the week are counted from. */
const SUNDAY = Date.UTC(1970, 0, 4);

/** The week's lowest hourly rate, in events per household and second. */
export const MIN_CAUSED_RATE: number = Math.min(...RATES);

/**
 * Events per household and second caused by the sessions starting at `t`
 * (spread over the hours they run): linear between hour midpoints.
 */
export function causedRate(t: number): number {
  const local = t + brusselsOffsetMs(t);
  const inWeek = (((local - SUNDAY) % WEEK_MS) + WEEK_MS) % WEEK_MS;
  const pos = inWeek / HOUR_MS - 0.5;
  const i = Math.floor(pos);
  const a = RATES[(i + 168) % 168]!;
  const b = RATES[(i + 1) % 168]!;
  return a + (b - a) * (pos - i);
}

/** Households a live stream simulates to reach `rate` events/s at every hour. */
export function householdsForRate(rate: number): number {
  // A margin over the week's quietest hour, so that it too reaches `rate`.
  return Math.min(
    MAX_THINNED_HOUSEHOLDS,
    Math.max(1, Math.ceil(rate * 1.05 / MIN_CAUSED_RATE)),
  );
}

/** The households that can start sessions at some instant of a thinned stream. */
export interface Audience {
  /** How many households are in it. */
  size: number;
  /** The `u`-th of them (0 <= u < size), as a population index. */
  household(u: number): number;
}

/** Largest population whose index products stay exact in a double. */
const MAX_THINNED_HOUSEHOLDS = 90_000_000;

/**
 * The audience of a stream of `households` thinned to `rate` events/s for
 * sessions starting at `t`: the first `size` households of the day's
 * seeded order, `size` being what causes `rate`. The order is an affine
 * permutation of the indices, so the audience is drawn from directly (the
 * cost follows the rate, not the population), nests as the hours go by (a
 * household in at 9 pm was in at 8 pm), and depends on nothing else, so a
 * resumed stream keeps it.
 */
export function audienceAt(
  seed: number,
  households: number,
  rate: number,
  t: number,
): Audience {
  const wanted = Math.ceil(rate / causedRate(t));
  const size = Math.max(1, Math.min(households, wanted));
  const { b, aInverse } = dayOrder(seed, households, Math.floor(t / DAY_MS));
  return {
    size,
    // u is the household's place in the day's order: invert u = a h + b
    // (exact: both factors are below n <= MAX_THINNED_HOUSEHOLDS, < 2^26.5).
    household: (u) =>
      (aInverse * ((u - b + households) % households)) %
      households,
  };
}

const orders = new Map<string, { b: number; aInverse: number }>();

/** The day's order u = (a h + b) mod n, with a coprime to n. */
function dayOrder(seed: number, n: number, day: number) {
  const key = `${seed}/${n}/${day}`;
  let order = orders.get(key);
  if (!order) {
    let a = 1 + (hash32(seed, day, 0x0a) % Math.max(1, n - 1));
    while (gcd(a, n) !== 1) a++;
    const b = hash32(seed, day, 0x0b) % n;
    order = { b, aInverse: inverseMod(a, n) };
    if (orders.size > 64) orders.clear();
    orders.set(key, order);
  }
  return order;
}

function gcd(x: number, y: number): number {
  while (y) [x, y] = [y, x % y];
  return x;
}

/** The inverse of a modulo n (a and n coprime). */
function inverseMod(a: number, n: number): number {
  let [r0, r1, s0, s1] = [n, a % n, 0, 1];
  while (r1) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % n) + n) % n;
}

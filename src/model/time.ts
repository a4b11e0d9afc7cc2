/**
 * Calendar helpers: UTC date keys and Europe/Brussels local time without
 * Intl (the EU daylight-saving rule is fixed, and this runs per event).
 *
 * @module
 */

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;

/** Returns the UTC date `YYYY-MM-DD` of an epoch-millisecond instant. */
export function dateKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function lastSundayUtc(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0);
  const dow = new Date(lastDay).getUTCDay();
  return lastDay - dow * DAY_MS;
}

const offsetCache = new Map<number, [number, number]>();

/** Returns the Europe/Brussels UTC offset in ms at an instant (EU DST rule). */
export function brusselsOffsetMs(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  let bounds = offsetCache.get(year);
  if (!bounds) {
    // Summer time runs from 01:00 UTC on the last Sunday of March to
    // 01:00 UTC on the last Sunday of October.
    bounds = [
      lastSundayUtc(year, 2) + HOUR_MS,
      lastSundayUtc(year, 9) + HOUR_MS,
    ];
    offsetCache.set(year, bounds);
  }
  return ms >= bounds[0] && ms < bounds[1] ? 2 * HOUR_MS : HOUR_MS;
}

/** Returns the local hour (0-23) in Brussels. */
export function brusselsHour(ms: number): number {
  const local = ms + brusselsOffsetMs(ms);
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/** Returns the local weekday in Brussels (0 = Sunday). */
export function brusselsWeekday(ms: number): number {
  const local = ms + brusselsOffsetMs(ms);
  return new Date(local).getUTCDay();
}

const MS3: string[] = Array.from(
  { length: 1000 },
  (_, i) => String(i).padStart(3, "0"),
);
/** The milliseconds and the zone, as one piece: one concatenation per call. */
const MS3Z: string[] = MS3.map((s) => s + "Z");
let cachedSecond = NaN;
let cachedPrefix = "";

/**
 * Formats epoch ms exactly like `Date#toISOString` (years 0-9999), caching
 * the part up to the second: events come in time order, so consecutive ones
 * nearly always share it, and toISOString is slow per call.
 */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return cachedPrefix + MS3Z[ms - second * 1000]!;
}

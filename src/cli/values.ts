/**
 * Flag values checked and converted: numbers in range, seconds, instants,
 * one of a set, broker lists, dates. Each failure is a RangeError whose
 * message names the flag and what was expected.
 *
 * @module
 */

/** Parses `--name` as an integer within [min, max]. */
export function int(
  raw: string | undefined,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new RangeError(
      `Cannot parse --${name}: expected a whole number, got "${raw}"`,
    );
  }
  const n = Number(raw);
  if (n < min || n > max) {
    throw new RangeError(
      `Cannot use --${name} ${raw}: expected a number from ${min} to ${max}`,
    );
  }
  return n;
}

/** Parses `--name` as a non-negative number of seconds (decimals allowed). */
export function seconds(
  raw: string | undefined,
  name: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new RangeError(
      `Cannot parse --${name}: expected a number of seconds >= 0, got "${raw}"`,
    );
  }
  return n;
}

const DATE_RE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses an ISO date or date-time; dates and zone-less times are UTC. */
export function parseInstant(raw: string, name: string): number {
  const text = raw.trim();
  if (!DATE_RE.test(text)) {
    throw new RangeError(
      `Cannot parse --${name}: expected an ISO date like 2026-11-01 or 2026-11-01T20:00:00Z, got "${raw}"`,
    );
  }
  let iso = text.replace(" ", "T");
  if (iso.length === 10) iso += "T00:00:00Z";
  else if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += "Z";
  const ms = Date.parse(iso);
  // Date.parse rolls 2026-02-30 over to March; a real date survives a round trip.
  const [y, mo, d] = iso.slice(0, 10).split("-").map(Number);
  const day = new Date(Date.UTC(y!, mo! - 1, d!));
  if (
    Number.isNaN(ms) || day.getUTCMonth() !== mo! - 1 || day.getUTCDate() !== d
  ) {
    throw new RangeError(
      `Cannot parse --${name}: "${raw}" is not a real calendar date`,
    );
  }
  return ms;
}

/** Parses `--name` as one of `allowed` (case-insensitive), or `fallback` when absent. */
export function oneOf<T extends string>(
  raw: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) {
    throw new RangeError(
      `Cannot use --${name} "${raw}": expected one of ${allowed.join(", ")}`,
    );
  }
  return v as T;
}

/** Parses `--bootstrap`: HOST:PORT pairs, comma-separated. */
export function parseBrokers(raw: string): string[] {
  const brokers = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const b of brokers) {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new RangeError(
        `Cannot parse --bootstrap: expected HOST:PORT[,HOST:PORT...], got "${b}"`,
      );
    }
  }
  if (brokers.length === 0) {
    throw new RangeError(
      "Cannot parse --bootstrap: expected HOST:PORT[,HOST:PORT...], got nothing",
    );
  }
  return brokers;
}

/** Parses `--date`: a calendar day, YYYY-MM-DD. */
export function checkDate(raw: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    throw new RangeError(
      `Cannot parse --date: expected YYYY-MM-DD, got "${raw}"`,
    );
  }
  parseInstant(raw, "date");
  return raw;
}

/** Where the live view listens; `explicit` when `--http` named the port. */
export interface HttpSettings {
  host: string;
  port: number;
  explicit: boolean;
}

/** The live view's default address: loopback, the next free port if taken. */
const DEFAULT_HTTP: HttpSettings = {
  host: "127.0.0.1",
  port: 8787,
  explicit: false,
};

/** Parses `--http`: `off`, `PORT`, or `HOST:PORT` (an IPv6 host in brackets). */
export function parseHttp(raw: string | undefined): HttpSettings | undefined {
  if (raw === undefined) return DEFAULT_HTTP;
  if (raw.trim() === "off") return undefined;
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):)?(\d{1,5})$/.exec(
    raw.trim(),
  );
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new RangeError(
      `Cannot parse --http: expected off, PORT or HOST:PORT, got "${raw}"`,
    );
  }
  const host = (m[1] ?? "127.0.0.1").replace(/^\[|\]$/g, "");
  return { host, port, explicit: true };
}

/**
 * Incidents: a window of simulated time in which something goes wrong for
 * part of the audience, the way a data engineer would see it in the
 * events. Written on the command line (`--incident 'cdn_outage
 * cdn=Akamai at=20:30 for=15m severity=0.8'`) or in a scenario's
 * `incidents`; placed in time and applied by src/model/incident_effects.ts.
 *
 * @module
 */
import { brusselsOffsetMs, DAY_MS } from "../model/time.ts";

/** What can go wrong. */
export const INCIDENT_KINDS = {
  cdn_outage: {
    targets: ["cdn"],
    optional: [],
    help:
      "on-demand plays delivered by the CDN fail to start (about `severity` of them) and stall up to 10x more",
  },
  isp_degradation: {
    targets: ["isp"],
    optional: ["region"],
    help:
      "the ISP's subscribers (in one region, optionally) stall up to 6x more and play up to 3 rungs lower",
  },
  app_crash: {
    targets: ["os"],
    optional: ["appVersion"],
    help:
      "plays on the OS (and app version) crash with a fatal APP-1001 error: up to one every 4 minutes of play",
  },
  ad_server_down: {
    targets: [],
    optional: ["service"],
    help:
      "on-demand ad breaks fail (about `severity` of them) with an ADS-503 warning, and the content plays without them",
  },
  live_event: {
    targets: ["channel"],
    optional: [],
    help:
      "a live event on the channel: more viewers come, zap to it at kick-off and stay, up to `severity` of them",
  },
} as const;

/** One kind of incident. */
export type IncidentKind = keyof typeof INCIDENT_KINDS;

/** The keys that name what an incident hits. */
export const INCIDENT_TARGETS = [
  "cdn",
  "isp",
  "region",
  "os",
  "appVersion",
  "service",
  "channel",
] as const;

/** An incident as written: its start may be a Brussels time of the first day. */
export type IncidentSpec =
  & {
    kind: IncidentKind;
    /** Epoch ms, `HH:MM` (Brussels) on the stream's first day, or `now`. */
    at: number | string;
    durationMs: number;
    /** 0 to 1: how hard it hits. */
    severity: number;
  }
  & Partial<Record<typeof INCIDENT_TARGETS[number], string>>;

/** An incident placed in time. */
export type Incident = Omit<IncidentSpec, "at"> & {
  fromMs: number;
  toMs: number;
};

const KEYS = new Set<string>(["at", "for", "severity", ...INCIDENT_TARGETS]);

/**
 * Parses `KIND key=value ...` (a value with spaces in double quotes);
 * throws a RangeError naming what is wrong.
 */
export function parseIncident(text: string): IncidentSpec {
  const bad = (why: string) =>
    new RangeError(`Cannot use --incident "${text}": ${why}`);
  const kind = /^\s*(\S+)/.exec(text)?.[1];
  if (!kind || !Object.hasOwn(INCIDENT_KINDS, kind)) {
    throw bad(
      `expected a kind first, one of ${Object.keys(INCIDENT_KINDS).join(", ")}`,
    );
  }
  const fields: Record<string, string> = {};
  const rest = text.trim().slice(kind.length);
  const pair = /\s+([A-Za-z]+)=(?:"([^"]*)"|(\S+))/y;
  let at = 0;
  while (at < rest.length) {
    pair.lastIndex = at;
    const m = pair.exec(rest);
    if (!m || !KEYS.has(m[1]!)) {
      throw bad(
        `expected key=value with a key among ${[...KEYS].join(", ")}, got "${
          rest.slice(at).trim().split(/\s+/)[0]
        }"`,
      );
    }
    fields[m[1]!] = m[2] ?? m[3]!;
    at = pair.lastIndex;
    if (/^\s*$/.test(rest.slice(at))) break;
  }
  return incidentSpec(kind as IncidentKind, fields, bad);
}

/** Checks an incident's fields (from a flag or a scenario); `bad` makes the error. */
export function incidentSpec(
  kind: IncidentKind,
  fields: Record<string, string | number | undefined>,
  bad: (why: string) => Error,
): IncidentSpec {
  const { targets, optional } = INCIDENT_KINDS[kind];
  for (const t of targets) {
    if (!fields[t]) throw bad(`${kind} needs ${t}=...`);
  }
  for (const key of Object.keys(fields)) {
    if (
      !["at", "for", "severity"].includes(key) &&
      !(targets as readonly string[]).includes(key) &&
      !(optional as readonly string[]).includes(key)
    ) throw bad(`${kind} takes no ${key}=`);
  }
  if (fields["at"] === undefined) {
    throw bad("expected at=HH:MM or at=<ISO date-time>");
  }
  const at = parseAt(String(fields["at"]));
  if (at === undefined) {
    throw bad(
      `expected at=HH:MM (Brussels, the first day) or an ISO date-time, got "${
        fields["at"]
      }"`,
    );
  }
  const durationMs = parseDuration(String(fields["for"] ?? "15m"));
  if (durationMs === undefined) {
    throw bad(`expected for=<N>s, <N>m or <N>h, got "${fields["for"]}"`);
  }
  const severity = Number(fields["severity"] ?? 0.8);
  if (!(severity > 0 && severity <= 1)) {
    throw bad(
      `expected severity above 0 and at most 1, got "${fields["severity"]}"`,
    );
  }
  const region = fields["region"];
  if (region !== undefined && !["VLG", "WAL", "BRU"].includes(String(region))) {
    throw bad(`expected region=VLG, WAL or BRU, got "${region}"`);
  }
  const spec: IncidentSpec = { kind, at, durationMs, severity };
  for (const key of [...targets, ...optional]) {
    if (fields[key] !== undefined) {
      (spec as unknown as Record<string, string>)[key] = String(fields[key]);
    }
  }
  return spec;
}

function parseAt(raw: string): number | string | undefined {
  if (raw === "now" || /^([01]\d|2[0-3]):[0-5]\d$/.test(raw)) return raw;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : raw + "Z");
  return Number.isNaN(ms) || !/^\d{4}-\d\d-\d\d/.test(raw) ? undefined : ms;
}

function parseDuration(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(raw);
  if (!m) return undefined;
  const ms = Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2]!]!;
  return ms > 0 ? Math.round(ms) : undefined;
}

/** Describes an incident in the `--incident` syntax, with its window in UTC. */
export function describeIncident(i: Incident): string {
  const targets = INCIDENT_TARGETS
    .flatMap((k) => {
      const v = (i as unknown as Record<string, string | undefined>)[k];
      return v === undefined ? [] : [`${k}=${/\s/.test(v) ? `"${v}"` : v}`];
    });
  return [
    i.kind,
    ...targets,
    `at=${new Date(i.fromMs).toISOString().slice(0, 16)}Z`,
    `for=${Math.round(i.durationMs / 60_000)}m`,
    `severity=${i.severity}`,
  ].join(" ");
}

/**
 * Places specs in time: `HH:MM` is Brussels time on the day of `anchorMs`,
 * `now` is `nowMs` (the stream's simulated now).
 */
export function placeIncidents(
  specs: readonly IncidentSpec[],
  anchorMs: number,
  nowMs = anchorMs,
): Incident[] {
  const offset = brusselsOffsetMs(anchorMs);
  const day = Math.floor((anchorMs + offset) / DAY_MS) * DAY_MS;
  return specs.map(({ at, ...rest }) => {
    const fromMs = typeof at === "number"
      ? at
      : at === "now"
      ? nowMs
      : day + (Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5))) * 60_000 -
        offset;
    return { ...rest, fromMs, toMs: fromMs + rest.durationMs };
  });
}

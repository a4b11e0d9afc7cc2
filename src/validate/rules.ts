/**
 * The coherence rules the validator checks (docs/realism.md 3.5) and the
 * shape of its verdict.
 *
 * @module
 */
import type { IncidentFinding } from "./incident_kpis.ts";

export type { IncidentFinding } from "./incident_kpis.ts";

/** A coherence rule and what it checks. */
export const RULES = {
  schema: "every event matches the JSON Schema of its type",
  unique_id: "eventId is unique",
  app_bounds:
    "1: events of a device lie inside app_start..app_end; sessions do not overlap; time never goes back",
  single_playback: "2: at most one tune or play at a time per device",
  watch_duration:
    "3: channel_end.watchDurationSec = end - start (+-1 s); isSurf = watchDurationSec < 10",
  first_frame:
    "4: one first frame per play, after playback_start and any pre-roll; startupTimeMs matches, in [100 ms, 60 s]",
  pairing:
    "5: pause/resume, buffer, seek, ad break and ad pairs open and close in order, never nested",
  heartbeat:
    "6: heartbeats only while playing, 10 s +-1 after the last one or after play (re)starts; none missing",
  playhead:
    "7: position never exceeds the duration, advances with play time (+-2 s), equals the seek target",
  end_reason:
    "8: completed => position >= 95%; ebvs => no first frame; error => a fatal error <= 1 s before",
  ads:
    "9: pre-rolls before the first frame; quartiles in order and on time; skips only when skippable after 5 s; one length per creative; every viewer of a linear break sees the same pod; <= 12 ad minutes per channel hour",
  epg:
    "12: programId names its channel and start; a program is named only from its start until the next one starts, with one genre",
  ad_free:
    "13: ads only where the channel's and the service's ad policies allow, none during news or kids programs",
  lineup:
    "13: channels from their service's line-up, regional ones in their province only; set-top boxes run their operator's app; power_on only on TV screens; time-shift only where offered",
  catalogue: "14: titles from their service's catalogue, delivered by its CDNs",
  geography:
    "15: the city belongs to the region code, the postal code to the city, the ISP serves the region; a household stays put",
  household:
    "16: <= 8 devices and <= size users per household; concurrent plays <= size + 1",
  ladder: "17: bitrates are rungs of the ladder",
} as const;

/** A rule name. */
export type Rule = keyof typeof RULES;

/** One KPI, its measured value and its target range. */
export interface Kpi {
  name: string;
  value: number | null;
  min: number;
  max: number;
  unit: string;
  source: string;
  ok: boolean;
}

/** The validator's verdict. */
export interface ValidationReport {
  events: number;
  violations: Record<Rule, { count: number; examples: string[] }>;
  kpis: Kpi[];
  /** Whether the KPIs count towards `ok` (the default world's bands). */
  kpisJudged: boolean;
  /** Each incident's measured effect against its promise. */
  incidents: IncidentFinding[];
  ok: boolean;
}

/** A KPI against its range [min, max]. */
export function kpi(
  name: string,
  value: number | null,
  [min, max]: readonly [number, number],
  unit: string,
  source: string,
): Kpi {
  return {
    name,
    value,
    min,
    max,
    unit,
    source,
    ok: value !== null && value >= min && value <= max,
  };
}

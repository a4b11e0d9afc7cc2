/**
 * Incidents as the events show them: for each incident, one measure of
 * its effect inside its window against the same measure outside it, in
 * its scope (the CDN's plays, the ISP's viewers, the OS's apps...), and
 * whether that is the effect the incident promised. Measured from the
 * events alone, with error codes and fields a data engineer would query.
 *
 * @module
 */
import {
  describeIncident,
  type Incident,
  type IncidentSpec,
  placeIncidents,
} from "../world/incidents.ts";
import type { Fields } from "./state.ts";

/** One incident's measured effect. */
export interface IncidentFinding {
  incident: string;
  measure: string;
  inside: number | null;
  outside: number | null;
  /** Events (or plays, tunes, hours) the inside figure is over. */
  insideOver: number;
  promised: string;
  ok: boolean;
}

/** A ratio's two counts. */
interface Side {
  num: number;
  den: number;
}

/** How each kind is measured: in scope, which events count above and below the line. */
interface Measure {
  name: string;
  /** Per hour of viewing (heartbeats) rather than a share. */
  perHour: boolean;
  promised(i: Incident): string;
  ok(i: Incident, inside: number, outside: number): boolean;
}

const MEASURES: Record<Incident["kind"], Measure> = {
  cdn_outage: {
    name: "start failures of the CDN's plays",
    perHour: false,
    promised: (i) => `about ${pct(i.severity)}, far above outside`,
    ok: (i, a, b) => a >= 0.5 * i.severity && a >= 3 * b,
  },
  isp_degradation: {
    name: "stalls per hour of viewing, the ISP's viewers",
    perHour: true,
    promised: () => "at least 2x outside",
    ok: (_, a, b) => a > 0 && a >= 2 * b,
  },
  app_crash: {
    name: "fatal errors per hour of viewing on the OS",
    perHour: true,
    promised: () => "at least 3x outside",
    ok: (_, a, b) => a > 0 && a >= 3 * b,
  },
  ad_server_down: {
    name: "on-demand ad breaks failed (ADS-503)",
    perHour: false,
    promised: (i) => `about ${pct(i.severity)}, none outside`,
    ok: (i, a, b) =>
      a >= 0.5 * i.severity && a <= Math.min(1, 1.5 * i.severity + 0.05) &&
      b === 0,
  },
  live_event: {
    name: "share of linear viewing on the channel",
    perHour: false,
    promised: () => "at least 2x outside",
    ok: (_, a, b) => a > 0 && a >= 2 * b,
  },
};

/** What each kind changes beyond its own measure. */
const CHANGES: Record<Incident["kind"], readonly ("plays" | "ads")[]> = {
  cdn_outage: ["plays"],
  isp_degradation: ["plays"],
  app_crash: ["plays"],
  ad_server_down: ["ads"],
  // A match keeps viewers from other channels' breaks.
  live_event: ["plays", "ads"],
};

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Tallies of every incident; incidents at `HH:MM` fall on the first event's day. */
export class IncidentTally {
  readonly #specs: readonly IncidentSpec[];
  #placed: Incident[] | undefined;
  #sides: { inside: Side; outside: Side }[] = [];
  /** Plays in a CDN outage's scope: play id -> [incident, inside]. */
  readonly #plays = new Map<string, [number, boolean]>();

  /** Tallies for `specs` (none: every call returns at once). */
  constructor(specs: readonly IncidentSpec[] = []) {
    this.#specs = specs;
  }

  /**
   * Whether `t` falls in the window of an incident that changes `what`:
   * plays and tunes (their quality, the channels watched), or the ads seen.
   * Those are left out of the KPIs.
   */
  inWindow(t: number, what: "plays" | "ads"): boolean {
    const placed = this.#placed;
    if (!placed) return false;
    for (const i of placed) {
      if (t >= i.fromMs && t < i.toMs && CHANGES[i.kind].includes(what)) {
        return true;
      }
    }
    return false;
  }

  /** Every event, in order. */
  event(e: Fields, type: string, t: number): void {
    if (this.#specs.length === 0) return;
    const placed = this.#placed ??= this.#place(t);
    for (let k = 0; k < placed.length; k++) {
      const i = placed[k]!;
      const side = t >= i.fromMs && t < i.toMs
        ? this.#sides[k]!.inside
        : this.#sides[k]!.outside;
      this.#count(k, i, side, e, type);
    }
  }

  #place(anchor: number): Incident[] {
    const placed = placeIncidents(this.#specs, anchor);
    this.#sides = placed.map(() => ({
      inside: { num: 0, den: 0 },
      outside: { num: 0, den: 0 },
    }));
    return placed;
  }

  #count(k: number, i: Incident, side: Side, e: Fields, type: string): void {
    switch (i.kind) {
      case "cdn_outage": {
        const psid = e["playbackSessionId"] as string;
        if (type === "playback_start" && e["cdn"] === i.cdn) {
          this.#plays.set(`${k}|${psid}`, [k, side === this.#sides[k]!.inside]);
          side.den++;
        } else if (
          type === "error" && e["phase"] === "startup" &&
          e["severity"] === "fatal"
        ) {
          const play = this.#plays.get(`${k}|${psid}`);
          if (play) {
            const s = this.#sides[k]!;
            (play[1] ? s.inside : s.outside).num++;
          }
        }
        return;
      }
      case "isp_degradation":
        if (e["isp"] !== i.isp) return;
        if (i.region !== undefined && e["regionCode"] !== i.region) return;
        if (type === "heartbeat") side.den++;
        else if (type === "buffer_start" && e["cause"] === "network") {
          side.num++;
        }
        return;
      case "app_crash":
        if (e["os"] !== i.os) return;
        if (i.appVersion !== undefined && e["appVersion"] !== i.appVersion) {
          return;
        }
        if (type === "heartbeat") side.den++;
        else if (type === "error" && e["severity"] === "fatal") side.num++;
        return;
      case "ad_server_down":
        if (i.service !== undefined && e["serviceId"] !== i.service) return;
        if (type === "error" && e["errorCode"] === "ADS-503") {
          side.num++;
          side.den++;
        } else if (type === "ad_break_start" && e["adPosition"] !== "linear") {
          side.den++;
        }
        return;
      case "live_event":
        // Viewing, not tunes: a match's viewers zap less.
        if (type !== "heartbeat" || e["channelId"] === undefined) return;
        side.den++;
        if (e["channelId"] === i.channel) side.num++;
        return;
    }
  }

  /** Each incident's effect, inside its window against outside. */
  findings(): IncidentFinding[] {
    return (this.#placed ?? []).map((i, k) => {
      const m = MEASURES[i.kind];
      const { inside, outside } = this.#sides[k]!;
      const value = (s: Side) =>
        s.den === 0
          ? null
          : m.perHour
          ? s.num / (s.den * 10 / 3600)
          : s.num / s.den;
      const a = value(inside);
      const b = value(outside);
      return {
        incident: describeIncident(i),
        measure: m.name,
        inside: a,
        outside: b,
        insideOver: inside.den,
        promised: m.promised(i),
        ok: a !== null && m.ok(i, a, b ?? 0),
      };
    });
  }
}

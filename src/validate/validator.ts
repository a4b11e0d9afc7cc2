/**
 * The validator: checks a stream of events against the coherence rules the
 * model claims (docs/realism.md 3.5) and measures the KPIs it targets
 * (section 1).
 *
 * Streaming and bounded: state is kept per device with an open app session
 * and per open playback, and dropped when they end. Events must arrive in
 * time order per device (the warehouse and Kafka keys guarantee it).
 * Checks of events inside a play are in play_checks.ts, the KPIs in
 * kpis.ts.
 *
 * @module
 */
import { eventProblem, registerEventTypes } from "../model/event.ts";
import { WORLD, type World } from "../world/world.ts";
import { idKey, IdSet } from "./id_set.ts";
import { KpiTally } from "./kpis.ts";
import { checkPlayEvent, type PlayEvent } from "./play_checks.ts";
import { type Rule, RULES, type ValidationReport } from "./rules.ts";
import type { DeviceState, Fields, HouseholdState, Play } from "./state.ts";
import { WorldChecks } from "./world_checks.ts";
import { IncidentTally } from "./incident_kpis.ts";
import { extraTypesOf } from "../world/event_types.ts";
import type { IncidentSpec } from "../world/incidents.ts";

export { IdSet } from "./id_set.ts";
export { type Kpi, type Rule, RULES, type ValidationReport } from "./rules.ts";

const EXAMPLES = 3;

/** An event being checked, with its device's and household's state. */
interface Seen {
  e: Fields;
  type: string;
  t: number;
  d: DeviceState;
  hh: HouseholdState;
}

/**
 * Creates a streaming validator of events simulated in `world`, with
 * `incidents`: their plays leave the KPIs, and their effect is measured.
 */
export function createValidator(
  world: World = WORLD,
  incidents: readonly IncidentSpec[] = [],
): {
  feed(event: unknown): void;
  report(): ValidationReport;
} {
  // The scenario's own event types pass the schema rule like built-in ones.
  registerEventTypes(extraTypesOf(world));
  const v = new Validator(world, incidents);
  return { feed: (event) => v.feed(event), report: () => v.report() };
}

class Validator {
  readonly #violations = Object.fromEntries(
    Object.keys(RULES).map((r) => [r, { count: 0, examples: [] as string[] }]),
  ) as Record<Rule, { count: number; examples: string[] }>;
  readonly #devices = new Map<string, DeviceState>();
  readonly #households = new Map<string, HouseholdState>();
  readonly #ids = new IdSet();
  readonly #tally = new KpiTally();
  readonly #world: WorldChecks;
  readonly #ladderKbps: Set<number>;
  readonly #kpisJudged: boolean;
  readonly #incidents: IncidentTally;
  #current: PlayEvent | undefined;
  #events = 0;

  constructor(world: World, incidents: readonly IncidentSpec[]) {
    this.#incidents = new IncidentTally(incidents);
    // The KPI bands are the Belgian world's sources: another scenario's
    // figures are reported beside them, not judged by them.
    this.#kpisJudged = world === WORLD;
    this.#world = new WorldChecks(
      (rule, e, why) => this.flag(rule, e, why),
      world,
    );
    this.#ladderKbps = new Set(world.ladder.map((r) => r.kbps));
  }

  readonly flag = (rule: Rule, event: Fields, why: string) => {
    const v = this.#violations[rule];
    v.count++;
    if (v.examples.length < EXAMPLES) {
      v.examples.push(`${why}: ${JSON.stringify(event).slice(0, 400)}`);
    }
  };

  feed(value: unknown): void {
    this.#events++;
    const problem = eventProblem(value);
    const e = value as Fields;
    if (problem !== undefined) {
      this.flag(
        "schema",
        typeof value === "object" && value ? e : { value },
        problem,
      );
      return;
    }
    const type = e["event"] as string;
    const t = Date.parse(e["timestamp"] as string);
    this.#incidents.event(e, type, t);
    this.#tally.event(e, type, t, !this.#incidents.inWindow(t, "ads"));
    const idHash = idKey(e["eventId"] as string);
    if (this.#ids.has(idHash)) this.flag("unique_id", e, "eventId seen before");
    else this.#ids.add(idHash);
    const hh = this.#household(e, type);
    const d = this.#device(e, type, t);
    if (d) this.#session({ e, type, t, d, hh });
  }

  /** Geography, household size and devices, ladder rungs: the checks every event gets. */
  #household(e: Fields, type: string): HouseholdState {
    this.#world.household(e);
    const hhId = e["householdId"] as string;
    let hh = this.#households.get(hhId);
    if (!hh) {
      hh = {
        region: e["region"] as string,
        postalCode: e["postalCode"] as string,
        isp: e["isp"] as string,
        devices: new Set(),
        users: new Set(),
        active: 0,
      };
      this.#households.set(hhId, hh);
    } else if (
      hh.region !== e["region"] || hh.postalCode !== e["postalCode"] ||
      hh.isp !== e["isp"]
    ) {
      this.flag("geography", e, "household moved or changed ISP");
    }
    hh.devices.add(e["tvId"] as string);
    hh.users.add(e["userId"] as string);
    if (hh.devices.size > 8) this.flag("household", e, "more than 8 devices");
    if (type === "app_start") {
      hh.size = e["householdSize"] as number;
      hh.tvCount = e["tvCount"] as number;
      hh.regionCode = e["regionCode"] as string;
    }
    if (hh.size !== undefined && hh.users.size > hh.size) {
      this.flag("household", e, "more users than household members");
    }
    for (const f of ["bitrateKbps", "fromKbps", "toKbps"]) {
      if (f in e && !this.#ladderKbps.has(e[f] as number)) {
        this.flag("ladder", e, `${f} not a ladder rung`);
      }
    }
    return hh;
  }

  /**
   * The device's state, or undefined for a device first seen mid-session
   * (at the window's start: it is checked from its next app_start).
   */
  #device(e: Fields, type: string, t: number): DeviceState | undefined {
    const tvId = e["tvId"] as string;
    let d = this.#devices.get(tvId);
    if (d && t < d.lastT) {
      this.flag("app_bounds", e, "time went back on this device");
    }
    if (type === "heartbeat") this.#tally.heartbeat(t);
    if (!d) {
      if (type !== "app_start") return undefined;
      d = {
        lastT: t,
        open: false,
        sessionStart: t,
        householdId: e["householdId"] as string,
      };
      this.#devices.set(tvId, d);
    }
    d.lastT = Math.max(d.lastT, t);
    return d;
  }

  /** App session bounds, then the event's play. */
  #session(seen: Seen): void {
    const { e, type, t, d, hh } = seen;
    if (type === "app_start") {
      if (d.open) this.flag("app_bounds", e, "app sessions overlap");
      d.open = true;
      d.sessionStart = t;
      if (d.play) closePlay(d, hh);
      return;
    }
    if (!d.open) {
      this.flag("app_bounds", e, "event outside an app session");
      return;
    }
    if (type === "app_end") {
      if (d.play) {
        this.flag("single_playback", e, "app ended with a play still open");
        closePlay(d, hh);
      }
      d.open = false;
      this.#devices.delete(e["tvId"] as string);
      return;
    }
    if (type === "channel_start" || type === "playback_start") {
      this.#openPlay(seen);
      return;
    }
    const p = d.play;
    if (!p || p.id !== e["playbackSessionId"]) {
      this.flag("single_playback", e, "event of a play that is not open");
      return;
    }
    if (type === "channel_end") this.#endTune(seen, p);
    else if (type === "playback_end") this.#endPlay(seen, p);
    else checkPlayEvent(type, this.#playEvent(p, e, t));
  }

  /** A tune or play starts; one at a time per device. */
  #openPlay({ e, type, t, d, hh }: Seen): void {
    if (d.play) {
      this.flag("single_playback", e, "a new tune or play while one is open");
      closePlay(d, hh);
    }
    const live = type === "channel_start";
    const shiftMs = live ? (e["timeshiftOffsetSec"] as number) * 1000 : 0;
    this.#world.open(e, live, t, shiftMs);
    d.play = {
      id: e["playbackSessionId"] as string,
      live,
      start: t,
      anchor: t,
      state: live ? "playing" : "starting",
      firstFrame: live,
      preEnd: t,
      ...(live
        ? { channelId: e["channelId"] as string }
        : { durationSec: e["durationSec"] as number }),
      shiftMs,
      stallMs: 0,
      seekSinceHb: false,
      position: live ? 0 : e["startPositionSec"] as number,
      adBreakStart: 0,
      pauseStart: 0,
      bufferStart: 0,
    };
    hh.active++;
    if (hh.size !== undefined && hh.active > hh.size + 1) {
      this.flag("household", e, "more concurrent plays than members + 1");
    }
    // A play or tune that starts in an incident's window is judged by the
    // incident's report, not by the quality KPIs.
    if (this.#incidents.inWindow(t, "plays")) d.play.inIncident = true;
    else if (!live) this.#tally.playStarts++;
    else this.#tally.tunes++;
  }

  /** A tune ends: its duration, its program, no open break. */
  #endTune({ e, t, d, hh }: Seen, p: Play): void {
    checkPlayEvent("channel_end", this.#playEvent(p, e, t));
    const dur = e["watchDurationSec"] as number;
    if (Math.abs(dur - (t - p.start) / 1000) > 1) {
      this.flag(
        "watch_duration",
        e,
        `watchDurationSec ${dur} != ${((t - p.start) / 1000).toFixed(1)}`,
      );
    }
    this.#world.program(e, p.channelId!, t - p.shiftMs);
    if (e["isSurf"] !== (dur < 10)) {
      this.flag("watch_duration", e, "isSurf disagrees with watchDurationSec");
    }
    if (p.adBreak !== undefined && p.state === "ad") {
      this.flag("pairing", e, "tune ended inside an ad break");
    }
    this.#tally.tuneEnd(e, p.shiftMs > 0, !p.inIncident);
    closePlay(d, hh);
  }

  /** A play ends: a reason its events bear out, no open ad. */
  #endPlay({ e, t, d, hh }: Seen, p: Play): void {
    checkPlayEvent("playback_end", this.#playEvent(p, e, t));
    const reason = e["endReason"];
    const pos = e["positionSec"] as number;
    if (
      reason === "completed" && p.durationSec !== undefined &&
      pos < 0.95 * p.durationSec
    ) this.flag("end_reason", e, "completed before 95%");
    if (reason === "ebvs" && p.firstFrame) {
      this.flag("end_reason", e, "ebvs after the first frame");
    }
    if (
      reason === "error" &&
      (p.lastFatal === undefined || t - p.lastFatal > 1000)
    ) this.flag("end_reason", e, "error end without a fatal error");
    if (p.adOpen || (p.adBreak !== undefined)) {
      this.flag("pairing", e, "play ended inside an ad");
    }
    this.#tally.playEnd(e, p, reason, !p.inIncident);
    closePlay(d, hh);
  }

  /**
   * The checkers' argument, one object reused for every event: most events
   * (heartbeats) are in-play events, and the checkers keep nothing of it.
   */
  #playEvent(p: Play, e: Fields, t: number): PlayEvent {
    const c = this.#current ??= {
      flag: this.flag,
      e,
      p,
      t,
      breaks: this.#tally.breaks,
      world: this.#world,
    };
    c.p = p;
    c.e = e;
    c.t = t;
    return c;
  }

  report(): ValidationReport {
    this.#world.finish();
    const violations = this.#violations;
    const kpis = this.#tally.kpis(
      violations.ad_free.count,
      this.#households.values(),
    );
    const clean = Object.values(violations).every((v) => v.count === 0);
    const incidents = this.#incidents.findings();
    return {
      events: this.#events,
      violations,
      kpis,
      kpisJudged: this.#kpisJudged,
      incidents,
      ok: clean && (!this.#kpisJudged || kpis.every((k) => k.ok)) &&
        incidents.every((i) => i.ok),
    };
  }
}

function closePlay(d: DeviceState, hh: HouseholdState): void {
  d.play = undefined;
  hh.active = Math.max(0, hh.active - 1);
}

/**
 * What the simulator asks of the incidents at each draw they can change.
 * Every question returns the neutral answer (0, 1, undefined) at once when
 * no incident is active, so a stream without incidents is drawn exactly as
 * before they existed.
 *
 * @module
 */
import type { Incident } from "../world/incidents.ts";

/** The error a CDN outage fails a start with (JSON fields). */
export const CDN_OUTAGE =
  ',"errorCode":"CDN-504","errorMessage":"edge server timed out"';
/** The error of a crash wave. */
export const APP_CRASH =
  ',"errorCode":"APP-1001","errorMessage":"application crashed"';
/** The warning of an ad break the ad server could not fill. */
export const ADS_DOWN =
  ',"errorCode":"ADS-503","errorMessage":"ad decision server unavailable"';

/** Whether an incident hits what `a` and `b` name. */
type Matcher = (i: Incident, a: string, b: string) => boolean;

const onCdn: Matcher = (i, cdn) => i.cdn === cdn;
const onIsp: Matcher = (i, isp, region) =>
  i.isp === isp && (i.region === undefined || i.region === region);
const onApp: Matcher = (i, os, appVersion) =>
  i.os === os && (i.appVersion === undefined || i.appVersion === appVersion);
const onService: Matcher = (i, service) =>
  i.service === undefined || i.service === service;
const always: Matcher = () => true;

/** The incidents of a stream, by kind. */
export class Incidents {
  readonly #all: Incident[];
  readonly #by: Record<Incident["kind"], Incident[]>;

  /** Answers about `list`. */
  constructor(list: readonly Incident[] = []) {
    this.#all = [...list];
    this.#by = {
      cdn_outage: [],
      isp_degradation: [],
      app_crash: [],
      ad_server_down: [],
      live_event: [],
    };
    for (const i of list) this.#by[i.kind].push(i);
  }

  /** Adds an incident, from now on. */
  add(incident: Incident): void {
    this.#all.push(incident);
    this.#by[incident.kind].push(incident);
  }

  /** Whether there is any incident at all. */
  get any(): boolean {
    return this.#all.length > 0;
  }

  /** Chance that a play on `cdn` starting at `t` fails to start (0: none). */
  startFailure(t: number, cdn: string): number {
    return this.#active("cdn_outage", t, onCdn, cdn)?.severity ?? 0;
  }

  /**
   * How many times more often a play stalls at `t`: a CDN outage (10x at
   * severity 1) or a degraded ISP (6x), whichever is worse.
   */
  stallFactor(
    t: number,
    cdn: string | undefined,
    isp: string,
    region: string,
  ): number {
    if (!this.any) return 1;
    const outage = cdn === undefined
      ? undefined
      : this.#active("cdn_outage", t, onCdn, cdn);
    const slow = this.#ispAt(t, isp, region);
    return Math.max(
      1,
      outage ? 1 + 9 * outage.severity : 1,
      slow ? 1 + 5 * slow.severity : 1,
    );
  }

  /** Rungs a play starting at `t` loses to a degraded ISP (0 to 3). */
  rungDrop(t: number, isp: string, region: string): number {
    const slow = this.#ispAt(t, isp, region);
    return slow ? Math.ceil(3 * slow.severity) : 0;
  }

  /** Chance per 10 s of play at `t` that the app crashes (0: none). */
  crash(t: number, os: string, appVersion: string): number {
    const i = this.#active("app_crash", t, onApp, os, appVersion);
    return i ? 0.04 * i.severity : 0;
  }

  /** Chance that an on-demand ad break of `service` at `t` fails (0: none). */
  adFailure(t: number, service: string): number {
    return this.#active("ad_server_down", t, onService, service)?.severity ??
      0;
  }

  /**
   * How many more sessions start in the slot from `slotStart`: a live
   * event's severity from 15 minutes before kick-off to 45 minutes after.
   */
  audienceBoost(slotStart: number): number {
    for (const i of this.#by.live_event) {
      if (slotStart >= i.fromMs - 900_000 && slotStart < i.fromMs + 2_700_000) {
        return i.severity;
      }
    }
    return 0;
  }

  /** The live event on air at `t`, if any. */
  liveEvent(t: number): Incident | undefined {
    return this.#active("live_event", t, always);
  }

  /** The first live event kicking off in (t0, t1], if any. */
  kickOff(t0: number, t1: number): Incident | undefined {
    for (const i of this.#by.live_event) {
      if (i.fromMs > t0 && i.fromMs <= t1) return i;
    }
  }

  #ispAt(t: number, isp: string, region: string): Incident | undefined {
    return this.#active("isp_degradation", t, onIsp, isp, region);
  }

  /**
   * The first incident of `kind` on at `t` that `match` accepts. The
   * matchers are module functions given their arguments, not closures:
   * some questions are asked at every heartbeat, incidents or not.
   */
  #active(
    kind: Incident["kind"],
    t: number,
    match: Matcher,
    a = "",
    b = "",
  ): Incident | undefined {
    if (!this.any) return undefined;
    for (const i of this.#by[kind]) {
      if (t >= i.fromMs && t < i.toMs && match(i, a, b)) return i;
    }
  }
}

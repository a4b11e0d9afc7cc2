/**
 * One app session on one device, as a generator of events in time order.
 *
 * The state machines of docs/realism.md section 3.4 are written as plain control
 * flow: an app session (here) holds live channel tunes (live_tune.ts) or VoD
 * plays (vod_play.ts); a play holds pre-roll, start-up, heartbeats, pauses,
 * seeks, stalls, mid-rolls (ad_pod.ts) and an end.
 * Every decision draws from the session's own seeded {@linkcode Rng}, so a
 * session is a pure function of its seed and start, and nothing is emitted
 * after `endMs`.
 *
 * @module
 */
import {
  type Catalog,
  type ChannelPool,
  contentAt,
  contentPopularity,
  isTvScreen,
  type Service,
} from "./catalog.ts";
import type { DeviceType } from "./catalog.ts";
import type { Device, Household } from "./household.ts";
import { appVersionOf, userAgentOf } from "./identity.ts";
import { tune } from "./live_tune.ts";
import { quote } from "./text.ts";
import { call, type Steps } from "./steps.ts";
import { type Rng, shares } from "./rng.ts";
import { play } from "./vod_play.ts";
import { HOUR_MS } from "./time.ts";
import type { Incidents } from "./incident_effects.ts";

/**
 * What a session yields per event: the JSON text of the event's own fields,
 * each with its leading comma (`,"positionSec":12.5`). The event's type and
 * time are in the context; the simulator writes the head (`event`,
 * `eventId`, `timestamp`) and the fields the session shares.
 *
 * Why text: an event is written once, as the pipeline sends it, instead of
 * building an object and then serialising it. A heartbeat (realism 3.3:
 * four events in five) yields only its play's reference and keeps its
 * numbers in the context ({@linkcode SessionState.heartbeat}), so that
 * `sample` writes it as bytes without building its text (event_line.ts).
 */
export type EventFields = string;

/** What a session needs to know about where it runs. */
export interface SessionContext {
  rng: Rng;
  household: Household;
  device: Device;
  userId: string;
  startMs: number;
  /** Hard end: the app session is over by then (its raw length). */
  endMs: number;
  appSessionId: string;
  /** Advertiser names; creative `AD_n` belongs to advertiser n mod length. */
  advertisers: readonly string[];
  /** The world the household lives in. */
  catalog: Catalog;
  /** What goes wrong, and when. */
  incidents: Incidents;
  /**
   * Epoch ms of the event the session yielded last, set as each event is
   * built (every event is yielded before the next is built). Keeping it here
   * rather than on the event keeps every event's fields monomorphic.
   */
  t?: number;
  /**
   * Events before this instant are being skipped (a resume or a warm start):
   * their random draws are made, but their text is not written.
   */
  emitFrom?: number;
  /** Type of the event the session yielded last (set with `t`). */
  event?: string;
  /**
   * Events the session has started, written or skipped: the last one's
   * place in the session, which its id is made from, so that an event's
   * id does not depend on the stream it is in (a shard, a resume).
   */
  n?: number;
  /**
   * JSON text of the fields every event of this app session carries after
   * its head (household, device, service), without braces; set when the
   * session starts.
   */
  sharedJson?: string;
  /** `sharedJson` as UTF-8, encoded when an event is first written as bytes. */
  sharedUtf8?: Uint8Array;
  /**
   * A heartbeat's numbers (realism 3.3: four events in five), kept as
   * numbers and written by event_line.ts; its fields are then only the
   * play's reference ({@linkcode SessionState.heartbeat}). Here rather than
   * in an object of their own: the context is read for every event anyway.
   */
  positionSec?: number;
  bitrateKbps?: number;
  bufferHealthSec?: number;
  /** The last heartbeat reference written as bytes, and its UTF-8. */
  refJson?: string;
  refUtf8?: Uint8Array;
}

/** Heartbeat period while playing (realism 3.3: every 10 s). */
export const HEARTBEAT_MS = 10_000;
/** A pause longer than this ends the play with `timeout` (rule 11). */
export const PAUSE_TIMEOUT_MS = 30 * 60_000;
/** The longest app session: the lookback a resume needs. */
export const MAX_SESSION_MS = 6 * HOUR_MS;

/**
 * Median raw app-session length per device type: prime-time sessions last
 * 77 min on connected TVs, 45 on tablets, 39 on PCs, 32 on phones (realism
 * 1.2); a session can end sooner, when someone else turns the screen on.
 */
const SESSION_MEDIAN_MIN: Record<DeviceType, number> = {
  STB: 160,
  SmartTV: 140,
  CTVStick: 100,
  Console: 85,
  Tablet: 38,
  Web: 33,
  Mobile: 32,
};

/** Draws the raw length of an app session on a device type (ms). */
export function drawSessionLength(
  rng: Rng,
  deviceType: DeviceType,
  scale = 1,
): number {
  const length = scale *
    rng.lognormal(SESSION_MEDIAN_MIN[deviceType] * 60_000, 0.8);
  return Math.round(Math.min(MAX_SESSION_MS, Math.max(60_000, length)));
}

/**
 * What the phases of one app session share: its context, the clock
 * (`t`, the time reached), counters, and `on`, which starts each event.
 */
export class SessionState {
  /** Time reached (epoch ms). */
  t: number;
  /** Plays and tunes started, for their ids. */
  playbacks = 0;
  /** Consecutive autoplays (binge guard). */
  autoplays = 0;
  /** Set when a live tune ends with a fatal error. */
  fatal = false;
  /** The app's version, which crash incidents select by. */
  appVersion = "";
  /** The household's ISP, which ISP incidents select by. */
  readonly isp: string;
  /** The household's region code (VLG, WAL, BRU). */
  readonly regionCode: string;
  readonly rng: Rng;
  readonly device: Device;
  /** A TV screen (STB, smart TV, stick, console). */
  readonly tv: boolean;
  /** This session's network stalls often. */
  readonly badNetwork: boolean;
  /** The ladder rung playback starts at. */
  readonly rungBase: number;
  readonly #ctx: SessionContext;
  readonly #emitFrom: number;

  /** Starts the state of a session at `ctx.startMs`; draws its network quality. */
  constructor(ctx: SessionContext, tv: boolean) {
    this.#ctx = ctx;
    this.rng = ctx.rng;
    this.device = ctx.device;
    this.isp = ctx.household.operator.id;
    this.regionCode = ctx.household.city.regionCode;
    this.tv = tv;
    this.t = ctx.startMs;
    this.#emitFrom = ctx.emitFrom ?? -Infinity;
    this.badNetwork = ctx.rng.chance(
      ctx.device.deviceType === "Mobile" ? 0.3 : 0.15,
    );
    this.rungBase = tv ? 5 : ctx.device.deviceType === "Mobile" ? 2 : 4;
  }

  /** Advertiser names (creative `AD_n` belongs to advertiser n mod length). */
  get advertisers(): readonly string[] {
    return this.#ctx.advertisers;
  }

  /** The world the session runs in. */
  get catalog(): Catalog {
    return this.#ctx.catalog;
  }

  /** The stream's incidents. */
  get incidents(): Incidents {
    return this.#ctx.incidents;
  }

  /**
   * Starts the next event: records its type and time, and says whether it
   * is emitted. Events before `emitFrom` (a resume) are not written, but
   * every random draw of theirs is still made, outside these conditions, so
   * that the session continues exactly as it would have.
   */
  on(event: string, timestamp: number): boolean {
    this.#ctx.t = timestamp;
    this.#ctx.event = event;
    this.#ctx.n!++;
    return timestamp >= this.#emitFrom;
  }

  /**
   * The fields of a heartbeat after `ref` (its tune's or play's
   * reference): returns `ref`, its numbers held in the context until the
   * event is written (event_line.ts writes them).
   */
  heartbeat(
    ref: string,
    positionSec: number,
    bitrateKbps: number,
    bufferHealthSec: number,
  ): EventFields {
    const ctx = this.#ctx;
    ctx.positionSec = positionSec;
    ctx.bitrateKbps = bitrateKbps;
    ctx.bufferHealthSec = bufferHealthSec;
    return ref;
  }

  /** The id of the next tune or play. */
  nextPlaybackId(): string {
    return `${this.#ctx.appSessionId}-${++this.playbacks}`;
  }
}

/** Rounds to one decimal. */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Share of sessions that watch live channels, per device type. Set-top
 * boxes carry the operator's channels; on other screens about a third of
 * streaming time is live and the rest on demand (realism 1.1: 63-70%).
 */
const LIVE_SHARE: Record<DeviceType, number> = {
  STB: 1,
  SmartTV: 0.3,
  CTVStick: 0.15,
  Console: 0.1,
  Mobile: 0.25,
  Tablet: 0.25,
  Web: 0.25,
};

/** Networks of a phone or tablet session: home wifi mostly, mobile data sometimes. */
const ON_THE_MOVE = shares({ wifi: 0.75, "4G": 0.15, "5G": 0.1 });

/** What a session opens: live channels of a service, or its catalogue. */
interface Choice {
  live: boolean;
  service: Service;
}

/** Yields every event of one app session, in time order, none after `endMs`. */
export function* appSession(ctx: SessionContext): Steps {
  const { rng, household, device } = ctx;
  const tv = isTvScreen(device.deviceType);
  const choice = chooseService(ctx.catalog, rng, household, device);
  const network = device.deviceType === "Mobile" ||
      device.deviceType === "Tablet"
    ? rng.pickKey(ON_THE_MOVE)
    : device.network;
  const appVersion = appVersionOf(device, choice.service);
  ctx.sharedJson = sharedFields(ctx, choice.service, appVersion, network);
  const s = new SessionState(ctx, tv);
  s.appVersion = appVersion;
  const cold = rng.chance(0.6);
  const coldStartMs = Math.round(
    cold ? rng.lognormal(2500, 0.4) : rng.lognormal(600, 0.4),
  );
  if (s.on("app_start", s.t)) {
    yield ',"launchType":"' + (cold ? "cold" : "warm") + '","coldStartMs":' +
      Math.min(coldStartMs, 20_000) + ',"householdSize":' + household.size +
      ',"tvCount":' + household.tvCount + ',"ipAddress":"' + household.ipv4 +
      '"' + (household.ipv6 ? ',"ipv6Prefix":"' + household.ipv6 + '"' : "") +
      ',"deviceModel":' + quote(device.model) + ',"osVersion":' +
      quote(device.osVersion) + ',"userAgent":' +
      quote(userAgentOf(device, choice.service, appVersion));
  }
  s.t += Math.min(coldStartMs, 20_000);
  const endReason = choice.live
    ? yield* call(watchLive(s, household, choice.service, ctx.endMs - 1_000))
    : yield* call(watchVod(s, choice.service, ctx.endMs - 1_000));
  if (s.t > ctx.endMs) s.t = ctx.endMs;
  if (s.on("app_end", s.t)) {
    yield ',"endReason":"' + endReason + '","appSessionDurationSec":' +
      Math.round((s.t - ctx.startMs) / 1000);
  }
}

/**
 * Picks what the session opens. A set-top box runs its operator's app;
 * other screens watch live through the operator's app (with a TV
 * subscription) or a broadcaster's, or open one of the household's
 * on-demand services.
 */
function chooseService(
  catalog: Catalog,
  rng: Rng,
  household: Household,
  device: Device,
): Choice {
  const operatorApp = catalog.serviceById.get(household.operator.service)!;
  if (device.deviceType === "STB") return { live: true, service: operatorApp };
  if (rng.chance(LIVE_SHARE[device.deviceType])) {
    const choice = catalog.broadcasterApps.get(household.dutch ? "nl" : "fr")!;
    // A scenario may have no broadcaster app in a language: the operator's
    // app streams live there.
    if (
      household.tvSubscription && rng.chance(0.5) || choice.apps.length === 0
    ) {
      return { live: true, service: operatorApp };
    }
    return {
      live: true,
      service: choice.apps[rng.pickCumulative(choice.weights)]!,
    };
  }
  const subs = household.services;
  return { live: false, service: subs[rng.int(subs.length)]! };
}

/** The JSON text of the fields every event of the session carries after its head. */
function sharedFields(
  ctx: SessionContext,
  service: Service,
  appVersion: string,
  network: string,
): string {
  const { household, device } = ctx;
  const common = {
    householdId: household.householdId,
    userId: ctx.userId,
    tvId: device.tvId,
    region: household.city.name,
    regionCode: household.city.regionCode,
    postalCode: household.postalCode,
    isp: household.operator.id,
    deviceType: device.deviceType,
    os: device.os,
    appVersion,
    networkType: network,
    serviceId: service.id,
    appSessionId: ctx.appSessionId,
  };
  return JSON.stringify(common).slice(1, -1);
}

/** How a device changes channel: remotes zap up and down, apps pick from a guide. */
function tuneMethod(
  s: SessionState,
  first: boolean,
  canGoBack: boolean,
): string {
  const remote = s.device.deviceType === "STB" ||
    s.device.deviceType === "SmartTV";
  if (first) return s.device.deviceType === "STB" ? "power_on" : "epg";
  const x = s.rng.next();
  if (canGoBack && x < (remote ? 0.15 : 0.1)) return "last_channel";
  if (!remote) return x < 0.85 ? "epg" : x < 0.93 ? "up" : "down";
  return x < 0.5 ? "up" : x < 0.7 ? "down" : x < 0.88 ? "number" : "epg";
}

/**
 * During a live event, a tune goes to its channel (where the household
 * receives it) far more often, most of all in the minutes after kick-off.
 */
function liveEventChannel(
  s: SessionState,
  pool: ChannelPool,
  ch: number,
  current: number,
): number {
  const event = s.incidents.liveEvent(s.t);
  if (!event) return ch;
  const i = s.catalog.channels.findIndex((c) => c.id === event.channel);
  if (i === current || !pool.channels.includes(i)) return ch;
  const early = s.t - event.fromMs < 300_000;
  return s.rng.chance((early ? 0.9 : 0.5) * event.severity) ? i : ch;
}

/** Zaps between channels of a service's line-up until the session ends; returns the app's end reason. */
function* watchLive(
  s: SessionState,
  household: Household,
  service: Service,
  deadline: number,
): Steps<string> {
  let lastChannel = -1;
  let currentChannel = -1;
  let first = true;
  const province = household.city.province;
  const pools = s.catalog;
  let dutch = pools.channelPool(service, "nl", province);
  let french = pools.channelPool(service, "fr", province);
  // A scenario's line-up may hold one language only.
  if (dutch.channels.length === 0) dutch = french;
  if (french.channels.length === 0) french = dutch;
  while (s.t < deadline - 2_000) {
    const nl = household.dutch ? s.rng.chance(0.92) : s.rng.chance(0.06);
    const pool = nl ? dutch : french;
    const method = tuneMethod(s, first, lastChannel >= 0);
    let ch = pool.channels[s.rng.pickCumulative(pool.weights)]!;
    if (method === "last_channel") ch = lastChannel;
    else if (s.incidents.any) {
      ch = liveEventChannel(s, pool, ch, currentChannel);
    }
    first = false;
    if (ch === currentChannel) {
      const k = pool.channels.indexOf(ch);
      ch = pool.channels[(k + 1) % pool.channels.length]!;
    }
    lastChannel = currentChannel;
    currentChannel = ch;
    const reason = yield* call(tune(s, ch, method, deadline, service));
    if (reason === "error") return "error";
    // A tune that is not a zap ends the session (power off or app exit).
    if (reason !== "zap") break;
  }
  return "user";
}

/** Picks and plays titles (with autoplay) until the viewer stops; returns the app's end reason. */
function* watchVod(
  s: SessionState,
  svc: Service,
  deadline: number,
): Steps<string> {
  let first = true;
  const popularity = contentPopularity(svc.catalog);
  while (s.t < deadline - 2_000) {
    // Time to pick something: browsing before the play (realism 1.2).
    s.t += Math.round(
      Math.min(15 * 60_000, s.rng.lognormal(first ? 40_000 : 15_000, 0.8)),
    );
    first = false;
    if (s.t >= deadline - 2_000) break;
    // Viewers pick something that fits the time they have, most of the time.
    // Big screens seldom play clips.
    const clipOk = s.device.deviceType === "Mobile" || s.rng.chance(0.1);
    let content = s.rng.pickCumulative(popularity);
    for (
      let tries = 0;
      tries < 6 &&
      (contentAt(svc, content).durationSec * 1000 > deadline - s.t &&
          s.rng.chance(0.85) ||
        !clipOk && contentAt(svc, content).contentType === "clip");
      tries++
    ) content = s.rng.pickCumulative(popularity);
    let reason = yield* call(play(s, svc, content, false, deadline));
    let next = content;
    while (
      reason === "completed" &&
      s.autoplays < s.catalog.behaviour.maxAutoplay &&
      contentAt(svc, next).contentType === "episode" && s.rng.chance(0.55)
    ) {
      // Autoplay countdown 5-15 s, then the next episode (rule 10).
      s.t += Math.round(s.rng.uniform(5_000, 15_000));
      if (s.t >= deadline - 2_000) break;
      s.autoplays++;
      next = (next + 1) % svc.catalog;
      reason = yield* call(play(s, svc, next, true, deadline));
    }
    s.autoplays = 0;
    if (reason === "timeout" || s.rng.chance(0.08)) break;
  }
  return "user";
}

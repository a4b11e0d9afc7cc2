/**
 * A live channel tune: channel_start, heartbeats and stalls while playing,
 * the channel's scheduled ad breaks (some zapped away from), and
 * channel_end (docs/realism.md 3.4). On operators' services a tune can be
 * time-shifted: the program is the one that aired `timeshiftOffsetSec`
 * ago, and its ad breaks are fast-forwarded.
 *
 * @module
 */
import {
  type AdBreak,
  type Catalog,
  isTvScreen,
  type Service,
} from "./catalog.ts";
import { adPod } from "./ad_pod.ts";
import { extraEvents } from "./extra_events.ts";
import { APP_CRASH } from "./incident_effects.ts";
import {
  type EventFields,
  HEARTBEAT_MS,
  round1,
  type SessionState,
} from "./session.ts";
import { flat, quote } from "./text.ts";
import { call, type Steps } from "./steps.ts";
import { HOUR_MS } from "./time.ts";
import { liveAdsAllowed } from "../world/world.ts";

/** What a tune's phases share: the fields every event opens with, the heartbeat clock, the playhead and rung. */
interface Tune {
  ref: string;
  anchor: number;
  position: number;
  rung: number;
}

/** Fatal live errors: set-top boxes lose the multicast or the tuner; apps lose segments or licences. */
const LIVE_FATAL_BOX = [
  ',"errorCode":"IPTV-3016","errorMessage":"multicast stream lost"',
  ',"errorCode":"STB-2201","errorMessage":"tuner signal lost"',
];
const LIVE_FATAL_APP = [
  ',"errorCode":"NET-2004","errorMessage":"segment download failed after retries"',
  ',"errorCode":"DRM-4032","errorMessage":"licence renewal failed"',
  ',"errorCode":"CDN-503","errorMessage":"edge server returned 503"',
];

/** Draws a tune's zap latency: fast on set-top boxes, slower in apps (realism 1.2). */
function zapLatency(s: SessionState): number {
  const type = s.device.deviceType;
  const median = type === "STB" ? 1_600 : isTvScreen(type) ? 2_400 : 3_000;
  return Math.round(
    Math.min(9_000, Math.max(700, s.rng.lognormal(median, 0.3))),
  );
}

/** Draws how long a tune lasts (ms) and whether it is a surf. */
function dwellOf(s: SessionState): { dwell: number; surf: boolean } {
  const b = s.catalog.behaviour;
  const surf = s.rng.chance(b.surfShare);
  const dwell = surf ? Math.min(9_400, s.rng.lognormal(4_000, 0.5)) : Math.min(
    4 * HOUR_MS,
    s.rng.lognormal(b.tuneMinutes * 60_000, 1.25) + 10_000,
  );
  return { dwell: Math.round(dwell), surf };
}

/** Yields one tune of `channelIndex`, ending by `deadline`; returns its end reason. */
export function* tune(
  s: SessionState,
  channelIndex: number,
  method: string,
  deadline: number,
  service: Service,
): Steps<string> {
  const channel = s.catalog.channels[channelIndex]!;
  const psid = s.nextPlaybackId();
  const t0 = s.t;
  const { dwell, surf } = dwellOf(s);
  // Replay: about a sixth of linear minutes are time-shifted (realism 1.1).
  const shiftMs = !surf && service.timeshift && s.rng.chance(0.13)
    ? Math.round(Math.min(6 * HOUR_MS, s.rng.lognormal(25 * 60_000, 0.9)))
    : 0;
  let tEnd = Math.min(t0 + Math.round(shiftMs ? dwell * 1.5 : dwell), deadline);
  if (s.incidents.any && shiftMs === 0) {
    tEnd = liveEventEnd(s, channel.id, t0, tEnd, deadline);
  }
  const zapLatencyMs = zapLatency(s);
  const tn: Tune = {
    ref: flat(
      ',"playbackSessionId":"' + psid + '","channelId":"' + channel.id + '"',
    ),
    anchor: t0,
    position: 0,
    rung: Math.max(
      0,
      s.rungBase - s.incidents.rungDrop(t0, s.isp, s.regionCode),
    ),
  };
  if (s.on("channel_start", t0)) {
    const program = s.catalog.programAt(channel.id, t0 - shiftMs);
    yield tn.ref + ',"channelName":' + quote(channel.name) + ',"programId":' +
      quote(program.programId) + ',"programGenre":' + quote(program.genre) +
      ',"tuneMethod":"' + method + '","zapLatencyMs":' + zapLatencyMs +
      ',"isLive":' + (shiftMs === 0) + ',"timeshiftOffsetSec":' +
      Math.round(shiftMs / 1000);
  }
  // Most tunes end by zapping; a few with the screen switched off.
  let reason = tEnd >= deadline
    ? "app_exit"
    : !surf && s.rng.chance(0.015)
    ? "power_off"
    : "zap";
  // Linear ad breaks are the channel's schedule, the same pod for every
  // viewer; some viewers zap away once a break starts (realism 1.5).
  const breaks = shiftMs || !liveAdsAllowed(channel, service)
    ? []
    : breaksBetween(s.catalog, channel.id, t0, tEnd);
  for (const b of breaks) {
    if (b.startMs >= tEnd) break;
    const bEnd = b.startMs + b.durationSec * 1000;
    if (bEnd > deadline) {
      tEnd = b.startMs;
      reason = "app_exit";
      break;
    }
    yield* call(playSegment(s, tn, b.startMs));
    if (s.t < b.startMs) break; // ended by a fatal error
    const left = yield* linearBreak(s, tn, psid, channel.id, b);
    tn.position += (s.t - b.startMs) / 1000;
    if (left) {
      tEnd = s.t;
      reason = "zap";
      break;
    }
    if (tEnd < s.t + 5_000) tEnd = s.t + 5_000;
    tEnd = Math.min(tEnd, deadline);
  }
  if (!s.fatal && s.t < tEnd) yield* call(playSegment(s, tn, tEnd));
  if (s.fatal) {
    s.fatal = false;
    reason = "error";
  }
  if (s.on("channel_end", s.t)) {
    const watched = Math.round((s.t - t0) / 1000);
    yield tn.ref + ',"programId":' +
      quote(s.catalog.programAt(channel.id, s.t - shiftMs).programId) +
      ',"watchDurationSec":' + watched + ',"endReason":"' + reason +
      '","isSurf":' + (watched < 10);
  }
  return reason;
}

/**
 * A live event moves a tune's end: many of its viewers stay to the final
 * whistle, and many watching another channel zap to it at kick-off.
 */
function liveEventEnd(
  s: SessionState,
  channelId: string,
  t0: number,
  tEnd: number,
  deadline: number,
): number {
  const on = s.incidents.liveEvent(t0);
  if (on?.channel === channelId) {
    if (!s.rng.chance(on.severity)) return tEnd;
    const stay = on.toMs + Math.round(s.rng.uniform(0, 300_000));
    return Math.min(deadline, Math.max(tEnd, stay));
  }
  const kick = s.incidents.kickOff(t0, tEnd);
  if (kick && kick.channel !== channelId && s.rng.chance(0.7 * kick.severity)) {
    return Math.min(tEnd, kick.fromMs + Math.round(s.rng.uniform(0, 90_000)));
  }
  return tEnd;
}

/**
 * The channel's breaks from just after `t0` to the tune's planned end. A
 * break can push the end a few minutes on, never as far as the next
 * break, so the hours up to ten minutes past it hold every break the tune
 * can reach (a surf asks for one hour, not the longest tune's five).
 */
function breaksBetween(
  catalog: Catalog,
  channelId: string,
  t0: number,
  tEnd: number,
): AdBreak[] {
  const out: AdBreak[] = [];
  const last = Math.min(
    4,
    Math.floor((tEnd + 600_000) / HOUR_MS) - Math.floor(t0 / HOUR_MS),
  );
  for (let h = 0; h <= last; h++) {
    for (const b of catalog.adBreaksInHour(channelId, t0 + h * HOUR_MS)) {
      if (b.startMs > t0 + 1_000) out.push(b);
    }
  }
  return out;
}

/** Plays live content until `until`, emitting heartbeats, rung changes and stalls. */
function* playSegment(
  s: SessionState,
  tn: Tune,
  until: number,
): Generator<EventFields> {
  while (s.t < until) {
    // Players tick on their own timers: a heartbeat is 10 s after the
    // last, give or take a few hundred milliseconds.
    const next = tn.anchor + HEARTBEAT_MS +
      Math.round(s.rng.uniform(-150, 250));
    if (next > until) {
      tn.position += (until - s.t) / 1000;
      s.t = until;
      return;
    }
    const stall = (s.badNetwork ? 0.03 : 0.0015) *
      s.catalog.behaviour.rebuffering *
      s.incidents.stallFactor(s.t, undefined, s.isp, s.regionCode);
    if (s.rng.chance(stall)) {
      const ended = yield* liveStall(s, tn, until);
      if (ended) return;
      continue;
    }
    const crash = s.incidents.crash(s.t, s.device.os, s.appVersion);
    if (s.rng.chance(0.0002 + crash)) {
      const at = Math.round(tn.anchor + s.rng.uniform(500, 9_500));
      if (at < until) {
        tn.position += (at - s.t) / 1000;
        s.t = at;
        const codes = s.device.deviceType === "STB"
          ? LIVE_FATAL_BOX
          : LIVE_FATAL_APP;
        const code = crash > 0 && s.rng.chance(crash / (0.0002 + crash))
          ? APP_CRASH
          : codes[s.rng.int(codes.length)]!;
        if (s.on("error", at)) {
          yield tn.ref + code + ',"severity":"fatal","phase":"playback"';
        }
        s.t = at + 200;
        s.fatal = true;
        return;
      }
    }
    // Drawn here: a generator per heartbeat for a 1% event costs more
    // than the heartbeat itself.
    if (s.rng.chance(0.01)) yield* rungChange(s, tn, next);
    tn.position += (next - s.t) / 1000;
    s.t = next;
    tn.anchor = next;
    const health = s.rng.uniform(8, 30);
    if (s.on("heartbeat", next)) {
      yield s.heartbeat(
        tn.ref,
        tn.position,
        s.catalog.ladder[tn.rung]!.kbps,
        health,
      );
    }
    if (s.catalog.extraTypes.length > 0) {
      yield* extraEvents(s, tn.ref, "tune");
    }
  }
}

/** A change of rung somewhere before the heartbeat at `next`. */
function* rungChange(
  s: SessionState,
  tn: Tune,
  next: number,
): Generator<EventFields> {
  const to = Math.max(
    0,
    Math.min(
      s.catalog.ladder.length - 1,
      tn.rung + (s.rng.chance(0.5) ? 1 : -1),
    ),
  );
  if (to === tn.rung) return;
  const at = Math.round(s.t + s.rng.uniform(0.05, 0.95) * (next - s.t));
  tn.position += (at - s.t) / 1000;
  s.t = at;
  if (s.on("bitrate_change", at)) {
    yield tn.ref + ',"fromKbps":' + s.catalog.ladder[tn.rung]!.kbps +
      ',"toKbps":' +
      s.catalog.ladder[to]!.kbps + ',"resolution":"' +
      s.catalog.ladder[to]!.resolution + '"';
  }
  tn.rung = to;
}

/** A network stall inside the next heartbeat interval; returns true when it ends the segment. */
function* liveStall(
  s: SessionState,
  tn: Tune,
  until: number,
): Generator<EventFields, boolean> {
  const at = Math.round(tn.anchor + s.rng.uniform(500, 9_500));
  if (at >= until) {
    tn.position += (until - s.t) / 1000;
    s.t = until;
    return true;
  }
  const dur = Math.round(Math.min(30_000, s.rng.lognormal(1_800, 0.7)));
  if (at + dur >= until) {
    // The stall would outlast the segment: the tune ends first.
    s.t = tn.anchor;
    return false;
  }
  tn.position += (at - s.t) / 1000;
  s.t = at;
  if (s.on("buffer_start", at)) {
    yield tn.ref + ',"positionSec":' + round1(tn.position) +
      ',"cause":"network"';
  }
  s.t = at + dur;
  if (s.on("buffer_end", s.t)) {
    yield tn.ref + ',"positionSec":' + round1(tn.position) +
      ',"bufferDurationMs":' + dur + ',"cause":"network"';
  }
  tn.anchor = s.t;
  return false;
}

/**
 * One of the channel's ad breaks, the pod every viewer sees. Returns true
 * when the viewer zapped away during it: 15% of viewers avoid a live break
 * (realism 1.5), most within seconds of its start; away from the big
 * screen, more leave.
 */
function* linearBreak(
  s: SessionState,
  tn: Tune,
  psid: string,
  channelId: string,
  b: AdBreak,
): Generator<EventFields, boolean> {
  const pLeave = isTvScreen(s.device.deviceType) ? 0.15 : 0.25;
  const leaveAfter = s.rng.chance(pLeave)
    ? (s.rng.chance(0.7)
      ? s.rng.uniform(1.5, 8)
      : s.rng.uniform(8, b.durationSec - 1)) * 1000
    : undefined;
  const program = s.catalog.programAt(channelId, b.startMs);
  const left = yield* adPod(s, psid, { channelId }, b.adBreakId, "linear", {
    ads: b.ads,
    skippable: false,
    extra: ',"programId":' + quote(program.programId) + ',"programGenre":' +
      quote(program.genre),
    ...(leaveAfter !== undefined ? { leaveAfterMs: leaveAfter } : {}),
  });
  tn.anchor = s.t;
  return left;
}

/**
 * A live channel tune: channel_start, heartbeats and stalls while playing,
 * the channel's scheduled ad breaks (some zapped away from), and
 * channel_end (docs/realism.md 3.4).
 *
 * @module
 */
import { adBreaksInHour, CHANNELS, LADDER, programAt } from "./catalog.ts";
import { adPod } from "./ad_pod.ts";
import {
  type EventFields,
  HEARTBEAT_MS,
  round1,
  type SessionState,
} from "./session.ts";
import { flat, quote } from "./text.ts";
import { HOUR_MS } from "./time.ts";

/** What a tune's phases share: the fields every event opens with, the heartbeat clock, the playhead and rung. */
interface Tune {
  ref: string;
  anchor: number;
  position: number;
  rung: number;
}

/** Yields one tune of `channelIndex`, ending by `deadline`; returns its end reason. */
export function* tune(
  s: SessionState,
  channelIndex: number,
  method: string,
  deadline: number,
): Generator<EventFields, string> {
  const channel = CHANNELS[channelIndex]!;
  const psid = s.nextPlaybackId();
  const t0 = s.t;
  const surf = s.rng.chance(0.42);
  let dwell = surf
    ? Math.min(9_500, s.rng.lognormal(4_000, 0.5))
    : Math.min(4 * HOUR_MS, s.rng.lognormal(14 * 60_000, 1.25) + 10_000);
  dwell = Math.round(dwell);
  let tEnd = Math.min(t0 + dwell, deadline);
  const zapLatencyMs = Math.round(s.rng.uniform(1_200, 3_500));
  const tn: Tune = {
    ref: flat(
      ',"playbackSessionId":"' + psid + '","channelId":"' + channel.id + '"',
    ),
    anchor: t0,
    position: 0,
    rung: s.rungBase,
  };
  if (s.on("channel_start", t0)) {
    const program = programAt(channel.id, t0);
    yield tn.ref + ',"channelName":' + quote(channel.name) + ',"programId":' +
      quote(program.programId) + ',"programGenre":' + quote(program.genre) +
      ',"tuneMethod":"' + method + '","zapLatencyMs":' + zapLatencyMs +
      ',"isLive":true,"timeshiftOffsetSec":0';
  }
  // Linear ad breaks are the channel's schedule; a viewer sees the ones
  // that start while tuned, and some zap away when a break starts.
  const breaks = [
    ...adBreaksInHour(channel.id, t0),
    ...adBreaksInHour(channel.id, t0 + HOUR_MS),
    ...adBreaksInHour(channel.id, t0 + 2 * HOUR_MS),
    ...adBreaksInHour(channel.id, t0 + 3 * HOUR_MS),
  ].filter((b) => b.startMs > t0 + 1_000);
  // Most long tunes end by zapping; the TV is switched off after some.
  let reason = tEnd >= deadline
    ? "app_exit"
    : !surf && s.rng.chance(0.12)
    ? "power_off"
    : "zap";
  for (const b of breaks) {
    if (b.startMs >= tEnd) break;
    const bEnd = b.startMs + b.durationSec * 1000;
    if (bEnd > deadline || s.rng.chance(0.15)) {
      // Ad avoidance (15% live, realism 1.5): leave as the break starts.
      tEnd = b.startMs;
      reason = bEnd > deadline ? "app_exit" : "zap";
      break;
    }
    yield* playSegment(s, tn, b.startMs);
    if (s.t < b.startMs) break; // ended by a fatal error
    yield* linearBreak(s, tn, psid, channel.id, b.adBreakId, b.durationSec);
    tn.position += (s.t - b.startMs) / 1000;
    if (tEnd < s.t + 5_000) tEnd = s.t + 5_000;
    tEnd = Math.min(tEnd, deadline);
  }
  if (!s.fatal && s.t < tEnd) yield* playSegment(s, tn, tEnd);
  if (s.fatal) {
    s.fatal = false;
    reason = "error";
  }
  if (s.on("channel_end", s.t)) {
    yield tn.ref + ',"programId":' +
      quote(programAt(channel.id, s.t).programId) +
      ',"watchDurationSec":' + Math.round((s.t - t0) / 1000) +
      ',"endReason":"' + reason + '","isSurf":' + (s.t - t0 < 10_000);
  }
  return reason;
}

/** Plays live content until `until`, emitting heartbeats and stalls. */
function* playSegment(
  s: SessionState,
  tn: Tune,
  until: number,
): Generator<EventFields> {
  while (s.t < until) {
    const next = tn.anchor + HEARTBEAT_MS;
    if (next > until) {
      tn.position += (until - s.t) / 1000;
      s.t = until;
      return;
    }
    if (s.rng.chance(s.badNetwork ? 0.03 : 0.0015)) {
      const ended = yield* liveStall(s, tn, until);
      if (ended) return;
      continue;
    }
    if (s.rng.chance(0.0002)) {
      const at = Math.round(tn.anchor + s.rng.uniform(500, 9_500));
      if (at < until) {
        tn.position += (at - s.t) / 1000;
        s.t = at;
        if (s.on("error", at)) {
          yield tn.ref + ',"errorCode":"LIVE-3016","errorMessage":' +
            '"multicast stream lost","severity":"fatal","phase":"playback"';
        }
        s.t = at + 200;
        s.fatal = true;
        return;
      }
    }
    tn.position += (next - s.t) / 1000;
    s.t = next;
    tn.anchor = next;
    yield* liveHeartbeat(s, tn, next);
  }
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

/** A heartbeat at `at`, after an occasional change of rung. */
function* liveHeartbeat(
  s: SessionState,
  tn: Tune,
  at: number,
): Generator<EventFields> {
  if (s.rng.chance(0.01)) {
    const to = Math.max(
      0,
      Math.min(LADDER.length - 1, tn.rung + (s.rng.chance(0.5) ? 1 : -1)),
    );
    if (to !== tn.rung) {
      if (s.on("bitrate_change", at)) {
        yield tn.ref + ',"fromKbps":' + LADDER[tn.rung]!.kbps + ',"toKbps":' +
          LADDER[to]!.kbps + ',"resolution":"' + LADDER[to]!.resolution + '"';
      }
      tn.rung = to;
    }
  }
  const health = round1(s.rng.uniform(8, 30));
  if (s.on("heartbeat", at)) {
    yield tn.ref + ',"positionSec":' + round1(tn.position) + ',"bitrateKbps":' +
      LADDER[tn.rung]!.kbps + ',"bufferHealthSec":' + health;
  }
}

/** One of the channel's ad breaks, as 15 s and 30 s spots. */
function* linearBreak(
  s: SessionState,
  tn: Tune,
  psid: string,
  channelId: string,
  adBreakId: string,
  durationSec: number,
): Generator<EventFields> {
  const lengths: number[] = [];
  let left = durationSec;
  while (left >= 15) {
    const len = left >= 30 && s.rng.chance(0.65) ? 30 : 15;
    lengths.push(len);
    left -= len;
  }
  yield* adPod(s, psid, { channelId }, adBreakId, "linear", lengths, false);
  tn.anchor = s.t;
}

/**
 * One app session on one device, as a generator of events in time order.
 *
 * The state machines of docs/realism.md section 3.4 are written as plain control
 * flow: an app session holds live channel tunes or VoD plays; a play holds
 * pre-roll, start-up, heartbeats, pauses, seeks, stalls, mid-rolls and an end.
 * Every decision draws from the session's own seeded {@linkcode Rng}, so a
 * session is a pure function of its seed and start, and nothing is emitted
 * after `endMs`.
 *
 * @module
 */
import {
  adBreaksInHour,
  CATALOG_SIZE,
  CHANNEL_WEIGHTS_FR,
  CHANNEL_WEIGHTS_NL,
  CHANNELS,
  CHANNELS_FR,
  CHANNELS_NL,
  CONTENT_POPULARITY,
  contentAt,
  isTvScreen,
  LADDER,
  programAt,
  type Service,
  SERVICE_WEIGHTS,
  SERVICES,
} from "./catalog.ts";
import type { DeviceType } from "./catalog.ts";
import type { Device, Household } from "./household.ts";
import type { Rng } from "./rng.ts";
import { flat, quote } from "./text.ts";
import { HOUR_MS } from "./time.ts";

/**
 * What a session yields per event: the JSON text of the event's own fields,
 * each with its leading comma (`,"positionSec":12.5`). The event's type and
 * time are in the context; the simulator writes the head (`event`,
 * `eventId`, `timestamp`) and the fields the session shares.
 *
 * Why text: an event is written once, as the pipeline sends it. Building an
 * object and then `JSON.stringify` cost twice as much (realism 3.3's heartbeats
 * are four events in five, and each shares most of its text with the last).
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
   * JSON text of the fields every event of this app session carries after
   * its head (household, device, service), without braces; set when the
   * session starts.
   */
  sharedJson?: string;
}

/** Heartbeat period while playing (realism 3.3: every 10 s). */
export const HEARTBEAT_MS = 10_000;
/** A pause longer than this ends the play with `timeout` (rule 11). */
export const PAUSE_TIMEOUT_MS = 30 * 60_000;
/** At most this many consecutive autoplays (binge guard, rule 10). */
export const MAX_AUTOPLAY = 3;
/** The longest app session: the lookback a resume needs. */
export const MAX_SESSION_MS = 8 * HOUR_MS;

/** Draws the raw length of an app session on a device type (ms). */
export function drawSessionLength(rng: Rng, deviceType: DeviceType): number {
  // CTV prime-time sessions ~77 min, mobile ~8-30 min (realism 1.2).
  const median = isTvScreen(deviceType)
    ? 70 * 60_000
    : deviceType === "Mobile"
    ? 14 * 60_000
    : 40 * 60_000;
  const length = rng.lognormal(median, 0.85);
  return Math.round(Math.min(MAX_SESSION_MS, Math.max(60_000, length)));
}

const CDNS = ["Akamai", "Cloudfront", "Fastly", "Telenet CDN"];

/** Yields every event of one app session, in time order, none after `endMs`. */
export function* appSession(ctx: SessionContext): Generator<EventFields> {
  const { rng, household, device } = ctx;
  const tv = isTvScreen(device.deviceType);
  const serviceId = tv && device.deviceType === "STB"
    ? (household.operator === "Telenet"
      ? "Telenet TV"
      : household.operator === "VOO"
      ? "VOOmotion"
      : "Pickx")
    : undefined;
  // Big screens watch linear TV most of the time (live ~84% of linear,
  // streaming 63-70% on demand: realism 1.1).
  const live = tv ? rng.chance(0.82) : rng.chance(0.22);
  const service: Service | undefined = live
    ? undefined
    : SERVICES[rng.pickCumulative(SERVICE_WEIGHTS)];
  const common = {
    householdId: household.householdId,
    userId: ctx.userId,
    tvId: device.tvId,
    region: household.city.name,
    regionCode: household.city.regionCode,
    deviceType: device.deviceType,
    os: device.os,
    serviceId: serviceId ?? service?.id ??
      (household.dutch ? "VRT MAX" : "Auvio"),
    appSessionId: ctx.appSessionId,
  };
  ctx.sharedJson = JSON.stringify(common).slice(1, -1);
  const emitFrom = ctx.emitFrom ?? -Infinity;
  /**
   * Starts the next event: records its type and time, and says whether it
   * is emitted. Events before `emitFrom` (a resume) are not written, but
   * every random draw of theirs is still made, outside these conditions, so
   * that the session continues exactly as it would have.
   */
  const on = (event: string, timestamp: number): boolean => {
    ctx.t = timestamp;
    ctx.event = event;
    return timestamp >= emitFrom;
  };
  const badNetwork = rng.chance(device.deviceType === "Mobile" ? 0.3 : 0.15);
  const rungBase = tv ? 5 : device.deviceType === "Mobile" ? 2 : 4;
  const state = { t: ctx.startMs, playbacks: 0, autoplays: 0 };

  const cold = rng.chance(0.6);
  const coldStartMs = Math.round(
    cold ? rng.lognormal(2500, 0.4) : rng.lognormal(600, 0.4),
  );
  if (on("app_start", state.t)) {
    yield ',"launchType":"' + (cold ? "cold" : "warm") + '","coldStartMs":' +
      Math.min(coldStartMs, 20_000) + ',"householdSize":' + household.size +
      ',"tvCount":' + household.tvCount;
  }
  state.t += Math.min(coldStartMs, 20_000);

  let endReason = "user";
  let lastChannel = -1;
  let currentChannel = -1;
  const nextPlaybackId = () => `${ctx.appSessionId}-${++state.playbacks}`;

  // ---- live channel tune -------------------------------------------------
  function* tune(
    channelIndex: number,
    method: string,
    deadline: number,
  ): Generator<EventFields, string> {
    const channel = CHANNELS[channelIndex]!;
    const psid = nextPlaybackId();
    const t0 = state.t;
    const surf = rng.chance(0.42);
    let dwell = surf
      ? Math.min(9_500, rng.lognormal(4_000, 0.5))
      : Math.min(4 * HOUR_MS, rng.lognormal(14 * 60_000, 1.25) + 10_000);
    dwell = Math.round(dwell);
    let tEnd = Math.min(t0 + dwell, deadline);
    const zapLatencyMs = Math.round(rng.uniform(1_200, 3_500));
    // The fields every event of this tune opens with.
    const ref = flat(
      ',"playbackSessionId":"' + psid + '","channelId":"' + channel.id + '"',
    );
    if (on("channel_start", t0)) {
      const program = programAt(channel.id, t0);
      yield ref + ',"channelName":' + quote(channel.name) + ',"programId":' +
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
    let anchor = t0;
    let position = 0;
    let rung = rungBase;
    // Most long tunes end by zapping; the TV is switched off after some.
    let reason = tEnd >= deadline
      ? "app_exit"
      : !surf && rng.chance(0.12)
      ? "power_off"
      : "zap";
    for (const b of breaks) {
      if (b.startMs >= tEnd) break;
      const bEnd = b.startMs + b.durationSec * 1000;
      if (bEnd > deadline || rng.chance(0.15)) {
        // Ad avoidance (15% live, realism 1.5): leave as the break starts.
        tEnd = b.startMs;
        reason = bEnd > deadline ? "app_exit" : "zap";
        break;
      }
      yield* playSegment(b.startMs);
      if (state.t < b.startMs) break; // ended by a fatal error
      yield* linearBreak(psid, channel.id, b.adBreakId, b.durationSec);
      position += (state.t - b.startMs) / 1000;
      if (tEnd < state.t + 5_000) tEnd = state.t + 5_000;
      tEnd = Math.min(tEnd, deadline);
    }
    if (!fatal && state.t < tEnd) {
      yield* playSegment(tEnd);
    }
    if (fatal) {
      fatal = false;
      reason = "error";
    }
    if (on("channel_end", state.t)) {
      yield ref + ',"programId":' +
        quote(programAt(channel.id, state.t).programId) +
        ',"watchDurationSec":' + Math.round((state.t - t0) / 1000) +
        ',"endReason":"' + reason + '","isSurf":' + (state.t - t0 < 10_000);
    }
    return reason;

    // Plays live content until `until`, emitting heartbeats and stalls.
    function* playSegment(until: number): Generator<EventFields> {
      while (state.t < until) {
        const next = anchor + HEARTBEAT_MS;
        if (next > until) {
          position += (until - state.t) / 1000;
          state.t = until;
          return;
        }
        const stall = rng.chance(badNetwork ? 0.03 : 0.0015);
        if (stall) {
          const at = Math.round(anchor + rng.uniform(500, 9_500));
          if (at >= until) {
            position += (until - state.t) / 1000;
            state.t = until;
            return;
          }
          const dur = Math.round(Math.min(30_000, rng.lognormal(1_800, 0.7)));
          if (at + dur >= until) {
            // The stall would outlast the segment: the tune ends first.
            state.t = anchor;
            continue;
          }
          position += (at - state.t) / 1000;
          state.t = at;
          if (on("buffer_start", at)) {
            yield ref + ',"positionSec":' + round1(position) +
              ',"cause":"network"';
          }
          state.t = at + dur;
          if (on("buffer_end", state.t)) {
            yield ref + ',"positionSec":' + round1(position) +
              ',"bufferDurationMs":' + dur + ',"cause":"network"';
          }
          anchor = state.t;
          continue;
        }
        if (rng.chance(0.0002)) {
          const at = Math.round(anchor + rng.uniform(500, 9_500));
          if (at < until) {
            position += (at - state.t) / 1000;
            state.t = at;
            if (on("error", at)) {
              yield ref + ',"errorCode":"LIVE-3016","errorMessage":' +
                '"multicast stream lost","severity":"fatal","phase":"playback"';
            }
            state.t = at + 200;
            fatal = true;
            until = state.t;
            return;
          }
        }
        position += (next - state.t) / 1000;
        state.t = next;
        anchor = next;
        if (rng.chance(0.01)) {
          const to = Math.max(
            0,
            Math.min(LADDER.length - 1, rung + (rng.chance(0.5) ? 1 : -1)),
          );
          if (to !== rung) {
            if (on("bitrate_change", next)) {
              yield ref + ',"fromKbps":' + LADDER[rung]!.kbps + ',"toKbps":' +
                LADDER[to]!.kbps + ',"resolution":"' + LADDER[to]!.resolution +
                '"';
            }
            rung = to;
          }
        }
        const health = round1(rng.uniform(8, 30));
        if (on("heartbeat", next)) {
          yield ref + ',"positionSec":' + round1(position) + ',"bitrateKbps":' +
            LADDER[rung]!.kbps + ',"bufferHealthSec":' + health;
        }
      }
    }

    function* linearBreak(
      psid: string,
      channelId: string,
      adBreakId: string,
      durationSec: number,
    ): Generator<EventFields> {
      const lengths: number[] = [];
      let left = durationSec;
      while (left >= 15) {
        const len = left >= 30 && rng.chance(0.65) ? 30 : 15;
        lengths.push(len);
        left -= len;
      }
      yield* adPod(psid, { channelId }, adBreakId, "linear", lengths, false);
      anchor = state.t;
    }
  }

  let fatal = false;

  // ---- an ad break (linear or VoD) -----------------------------------------
  function* adPod(
    psid: string,
    ref: { channelId?: string; contentId?: string },
    adBreakId: string,
    adPosition: string,
    lengths: number[],
    skippable: boolean,
  ): Generator<EventFields> {
    // The fields every event of this break opens with.
    const tag = flat(
      ',"playbackSessionId":"' + psid + '"' +
        (ref.channelId ? ',"channelId":"' + ref.channelId + '"' : "") +
        (ref.contentId ? ',"contentId":"' + ref.contentId + '"' : "") +
        ',"adBreakId":"' + adBreakId + '"',
    );
    const planned = lengths.reduce((a, b) => a + b, 0);
    if (on("ad_break_start", state.t)) {
      yield tag + ',"adPosition":"' + adPosition + '","podLength":' +
        lengths.length + ',"plannedDurationSec":' + planned;
    }
    let played = 0, completed = 0;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const adNumber = rng.int(4000);
      const adId = `AD_${String(adNumber).padStart(4, "0")}`;
      const t0 = state.t;
      const ad = flat(tag + ',"adId":"' + adId + '"');
      if (on("ad_start", t0)) {
        yield ad + ',"advertiser":' +
          quote(
            ctx.advertisers[adNumber % ctx.advertisers.length] ?? "unknown",
          ) +
          ',"adDurationSec":' + len + ',"podPosition":' + (i + 1) +
          ',"skippable":' + skippable;
      }
      played++;
      // CTV ad completion ~96% (realism 1.5); skips only after 5 s.
      const skipAt = skippable && rng.chance(0.25)
        ? rng.uniform(5, len * 0.9)
        : undefined;
      for (let q = 1; q <= 3; q++) {
        const at = t0 + Math.round(len * 250 * q);
        if (skipAt !== undefined && at >= t0 + skipAt * 1000) break;
        if (on("ad_quartile", at)) yield ad + ',"quartile":' + q;
      }
      if (skipAt !== undefined) {
        state.t = t0 + Math.round(skipAt * 1000);
        if (on("ad_skip", state.t)) {
          yield ad + ',"watchedSec":' + round1((state.t - t0) / 1000);
        }
      } else {
        state.t = t0 + len * 1000;
        if (on("ad_complete", state.t)) yield ad + ',"watchedSec":' + len;
        completed++;
      }
    }
    if (on("ad_break_end", state.t)) {
      yield tag + ',"adsPlayed":' + played + ',"adsCompleted":' + completed;
    }
  }

  // ---- one VoD play ----------------------------------------------------------
  function* play(
    svc: Service,
    contentIndex: number,
    autoplay: boolean,
    deadline: number,
  ): Generator<EventFields, string> {
    const content = contentAt(contentIndex);
    const psid = nextPlaybackId();
    const ref = { contentId: content.contentId };
    // The fields every event of this play opens with.
    const tag = flat(
      ',"playbackSessionId":"' + psid + '","contentId":"' + content.contentId +
        '"',
    );
    const resumeAt = !autoplay && content.contentType !== "clip" &&
        rng.chance(0.15)
      ? Math.floor(rng.uniform(0.1, 0.6) * content.durationSec)
      : 0;
    const cdn = CDNS[rng.int(CDNS.length)]!;
    if (on("playback_start", state.t)) {
      const hls = device.os === "iOS" || device.os === "tvOS" ||
        device.os === "iPadOS" || device.os === "Safari";
      yield tag + ',"contentType":"' + content.contentType +
        '","durationSec":' + content.durationSec + ',"startPositionSec":' +
        resumeAt + ',"autoplay":' + autoplay + ',"cdn":"' + cdn +
        '","protocol":"' + (hls ? "HLS" : "DASH") + '"';
    }
    let rebufferMs = 0, rebufferCount = 0, playedMs = 0;
    let position = resumeAt;
    /** The `playback_end` fields, or undefined while skipping. */
    const end = (reason: string, startup?: number) => {
      if (!on("playback_end", state.t)) return undefined;
      return tag + ',"endReason":"' + reason + '","positionSec":' +
        round1(position) + ',"playTimeSec":' + round1(playedMs / 1000) +
        ',"rebufferTimeSec":' + round1(rebufferMs / 1000) +
        ',"rebufferCount":' + rebufferCount +
        (startup !== undefined ? ',"startupTimeMs":' + startup : "");
    };
    if (svc.ads && deadline - state.t > 120_000) {
      state.t += Math.round(rng.uniform(150, 600));
      const n = 1 + rng.int(2);
      yield* adPod(
        psid,
        ref,
        `AB_${psid}_pre`,
        "pre",
        Array.from({ length: n }, () => (rng.chance(0.6) ? 15 : 30)),
        true,
      );
    }
    // Startup: lognormal, median ~1.6 s on big screens, ~2.6 s on mobile
    // (realism 1.4 bands: VST median 1.5-4 s, p90 6-8 s).
    const median = tv || device.deviceType === "CTVStick" ? 1_600 : 2_600;
    const startup = Math.round(
      Math.min(60_000, Math.max(100, rng.lognormal(median, 0.55))),
    );
    if (rng.chance(0.012)) {
      // Video start failure: a fatal error before the first frame.
      state.t += Math.round(Math.min(startup, 8_000));
      const drm = rng.chance(0.5);
      if (on("error", state.t)) {
        yield tag + (drm
          ? ',"errorCode":"DRM-4031","errorMessage":"license request failed"'
          : ',"errorCode":"NET-2001","errorMessage":"manifest download failed"') +
          ',"severity":"fatal","phase":"startup"';
      }
      state.t += 300;
      const failed = end("error");
      if (failed !== undefined) yield failed;
      return "error";
    }
    // Exit before video start: no one leaves before 2 s, then +5.8 pp per
    // second (Krishnan & Sitaraman, realism 1.4).
    const patience = 2_000 + rng.exp(12_000);
    if (patience < startup || state.t + startup >= deadline) {
      state.t = Math.min(
        deadline,
        state.t + Math.round(Math.min(patience, startup)),
      );
      const exited = end("ebvs");
      if (exited !== undefined) yield exited;
      return "ebvs";
    }
    state.t += startup;
    let rung = Math.max(0, rungBase - (startup > 4_000 ? 2 : 0));
    if (on("playback_first_frame", state.t)) {
      yield tag + ',"startupTimeMs":' + startup + ',"bitrateKbps":' +
        LADDER[rung]!.kbps + ',"resolution":"' + LADDER[rung]!.resolution + '"';
    }

    // How much the viewer intends to watch: ~20% of views reach the end
    // (realism 1.2 browsing study), the rest are short looks or partial views.
    const remaining = content.durationSec - position;
    const intent = rng.chance(tv ? 0.34 : 0.27)
      ? remaining
      : rng.chance(0.45)
      ? Math.min(remaining * 0.94, rng.exp(150))
      : remaining * rng.uniform(0.05, 0.93);
    const stopAt = position + intent;
    let anchor = state.t;
    let nextMidroll = svc.ads ? position + rng.uniform(600, 900) : Infinity;
    let reason = "user_exit";
    loop: while (true) {
      // Time until the next thing that must happen while playing.
      const toHeartbeat = anchor + HEARTBEAT_MS - state.t;
      const toStop = Math.max(
        0,
        (Math.min(stopAt, content.durationSec) - position) * 1000,
      );
      const toMidroll = Math.max(0, (nextMidroll - position) * 1000);
      const toDeadline = deadline - state.t;
      const step = Math.min(toHeartbeat, toStop, toMidroll, toDeadline);
      // Random interruptions are drawn once per heartbeat interval.
      if (step === toHeartbeat && toHeartbeat > 0) {
        const r = rng.next();
        const at = Math.round(rng.uniform(0.05, 0.95) * toHeartbeat);
        const advance = () => {
          state.t += at;
          position += at / 1000;
          playedMs += at;
        };
        // Per 10 s of play: a stall (mostly on bad networks), a pause (about
        // one per 40 min), a seek, a fatal error, a warning.
        const pStall = badNetwork ? 0.08 : 0.0008;
        const pPause = pStall + 0.004;
        const pSeek = pPause + 0.0025;
        const pFatal = pSeek + 0.00015;
        const pWarn = pFatal + 0.001;
        if (r < pStall) {
          advance();
          const dur = Math.round(Math.min(30_000, rng.lognormal(2_000, 0.7)));
          if (state.t + dur >= deadline) break loop;
          if (on("buffer_start", state.t)) {
            yield tag + ',"positionSec":' + round1(position) +
              ',"cause":"network"';
          }
          state.t += dur;
          rebufferMs += dur;
          rebufferCount++;
          if (on("buffer_end", state.t)) {
            yield tag + ',"positionSec":' + round1(position) +
              ',"bufferDurationMs":' + dur + ',"cause":"network"';
          }
          anchor = state.t;
          continue;
        }
        if (r < pPause) {
          // Pause: ~one every 40 minutes; long pauses time out (rule 11).
          advance();
          const pauseMs = Math.round(rng.lognormal(45_000, 1.3));
          if (on("pause", state.t)) {
            yield tag + ',"positionSec":' + round1(position);
          }
          if (pauseMs >= PAUSE_TIMEOUT_MS || state.t + pauseMs >= deadline) {
            const timeout = pauseMs >= PAUSE_TIMEOUT_MS &&
              state.t + PAUSE_TIMEOUT_MS < deadline;
            state.t = timeout ? state.t + PAUSE_TIMEOUT_MS : deadline;
            reason = timeout ? "timeout" : "user_exit";
            break loop;
          }
          state.t += pauseMs;
          if (on("resume", state.t)) {
            yield tag + ',"positionSec":' + round1(position) +
              ',"pauseDurationSec":' + round1(pauseMs / 1000);
          }
          anchor = state.t;
          continue;
        }
        if (r < pSeek && content.contentType !== "clip") {
          advance();
          const back = rng.chance(0.4);
          const to = Math.max(
            0,
            Math.min(
              content.durationSec - 60,
              position + (back ? -1 : 1) * rng.uniform(10, 300),
            ),
          );
          if (to <= 0 || to >= stopAt) continue;
          if (on("seek_start", state.t)) {
            yield tag + ',"fromSec":' + round1(position) + ',"toSec":' +
              round1(to);
          }
          const latency = Math.round(rng.lognormal(600, 0.5));
          if (state.t + latency >= deadline) break loop;
          state.t += latency;
          position = round1(to);
          if (on("seek_end", state.t)) {
            yield tag + ',"positionSec":' + position + ',"seekLatencyMs":' +
              latency;
          }
          anchor = state.t;
          continue;
        }
        if (r >= pSeek && r < pFatal) {
          advance();
          if (on("error", state.t)) {
            yield tag + ',"errorCode":"NET-2004","errorMessage":' +
              '"segment download failed after retries","severity":"fatal",' +
              '"phase":"playback"';
          }
          state.t += 400;
          reason = "error";
          break loop;
        }
        if (r >= pFatal && r < pWarn) {
          advance();
          if (on("error", state.t)) {
            yield tag + ',"errorCode":"NET-1002","errorMessage":' +
              '"segment retry","severity":"warning","phase":"playback"';
          }
          // A warning keeps playing: the heartbeat clock is not reset.
          continue;
        }
      }
      if (step <= 0 && step === toDeadline) break loop;
      state.t += Math.round(step);
      position += step / 1000;
      playedMs += Math.round(step);
      if (step === toDeadline) break loop;
      if (step === toStop) {
        if (stopAt >= content.durationSec) {
          position = content.durationSec;
          reason = "completed";
        }
        break loop;
      }
      if (step === toMidroll) {
        position = round1(position);
        const n = 2 + rng.int(3);
        const lengths = Array.from(
          { length: n },
          () => (rng.chance(0.6) ? 30 : 15),
        );
        if (state.t + lengths.reduce((a, b) => a + b, 0) * 1000 >= deadline) {
          break loop;
        }
        yield* adPod(
          psid,
          ref,
          `AB_${psid}_${Math.round(position)}`,
          "mid",
          lengths,
          false,
        );
        nextMidroll = position + rng.uniform(600, 900);
        anchor = state.t;
        continue;
      }
      // A heartbeat.
      anchor = state.t;
      if (rng.chance(0.02)) {
        const to = Math.max(
          0,
          Math.min(LADDER.length - 1, rung + (rng.chance(0.6) ? 1 : -1)),
        );
        if (to !== rung) {
          if (on("bitrate_change", state.t)) {
            yield tag + ',"fromKbps":' + LADDER[rung]!.kbps + ',"toKbps":' +
              LADDER[to]!.kbps + ',"resolution":"' + LADDER[to]!.resolution +
              '"';
          }
          rung = to;
        }
      }
      const health = round1(rng.uniform(10, 40));
      if (on("heartbeat", state.t)) {
        yield tag + ',"positionSec":' + round1(position) + ',"bitrateKbps":' +
          LADDER[rung]!.kbps + ',"bufferHealthSec":' + health;
      }
    }
    if (state.t > deadline) state.t = deadline;
    const ended = end(reason, startup);
    if (ended !== undefined) yield ended;
    return reason;
  }

  // ---- the app session loop --------------------------------------------------
  const deadline = ctx.endMs - 1_000;
  let first = true;
  while (state.t < deadline - 2_000) {
    if (live) {
      const nl = household.dutch ? rng.chance(0.9) : rng.chance(0.12);
      const pool = nl ? CHANNELS_NL : CHANNELS_FR;
      let ch =
        pool[rng.pickCumulative(nl ? CHANNEL_WEIGHTS_NL : CHANNEL_WEIGHTS_FR)]!;
      const method = first
        ? "power_on"
        : rng.chance(0.25) && lastChannel >= 0
        ? "last_channel"
        : ["up", "down", "number", "epg"][rng.int(4)]!;
      if (method === "last_channel") ch = lastChannel;
      first = false;
      if (ch === currentChannel) {
        ch = pool[(pool.indexOf(ch) + 1) % pool.length]!;
      }
      lastChannel = currentChannel;
      currentChannel = ch;
      const reason = yield* tune(ch, method, deadline);
      if (reason === "error") {
        endReason = "error";
        break;
      }
      // A tune that is not a zap ends the session (power off or app exit).
      if (reason !== "zap") break;
    } else {
      const svc = service!;
      // Time to pick something: browsing before the play (realism 1.2).
      state.t += Math.round(
        Math.min(15 * 60_000, rng.lognormal(first ? 40_000 : 15_000, 0.8)),
      );
      first = false;
      if (state.t >= deadline - 2_000) break;
      // Viewers pick something that fits the time they have, most of the time.
      let content = rng.pickCumulative(CONTENT_POPULARITY);
      for (
        let tries = 0;
        tries < 6 &&
        contentAt(content).durationSec * 1000 > deadline - state.t &&
        rng.chance(0.85);
        tries++
      ) content = rng.pickCumulative(CONTENT_POPULARITY);
      let reason = yield* play(svc, content, false, deadline);
      let next = content;
      while (
        reason === "completed" && state.autoplays < MAX_AUTOPLAY &&
        contentAt(next).contentType === "episode" && rng.chance(0.55)
      ) {
        // Autoplay countdown 5-15 s, then the next episode (rule 10).
        state.t += Math.round(rng.uniform(5_000, 15_000));
        if (state.t >= deadline - 2_000) break;
        state.autoplays++;
        next = (next + 1) % CATALOG_SIZE;
        reason = yield* play(svc, next, true, deadline);
      }
      state.autoplays = 0;
      if (reason === "timeout" || rng.chance(0.35)) break;
    }
  }
  if (state.t > ctx.endMs) state.t = ctx.endMs;
  if (on("app_end", state.t)) {
    yield ',"endReason":"' + endReason + '","appSessionDurationSec":' +
      Math.round((state.t - ctx.startMs) / 1000);
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * One app session on one device, as a generator of events in time order.
 *
 * The state machines of REALISM.md section 3.4 are written as plain control
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
import { HOUR_MS, isoTime } from "./time.ts";

/** An event as a session builds it (the simulator fills in `eventId`). */
export interface RawEvent {
  event: string;
  timestamp: string;
  [field: string]: string | number | boolean;
}

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
   * they are built on one reused scratch object instead of being allocated.
   */
  emitFrom?: number;
}

/** Heartbeat period while playing (REALISM 3.3: every 10 s). */
export const HEARTBEAT_MS = 10_000;
/** A pause longer than this ends the play with `timeout` (rule 11). */
export const PAUSE_TIMEOUT_MS = 30 * 60_000;
/** At most this many consecutive autoplays (binge guard, rule 10). */
export const MAX_AUTOPLAY = 3;
/** The longest app session: the lookback a resume needs. */
export const MAX_SESSION_MS = 8 * HOUR_MS;

/** Draws the raw length of an app session on a device type (ms). */
export function drawSessionLength(rng: Rng, deviceType: DeviceType): number {
  // CTV prime-time sessions ~77 min, mobile ~8-30 min (REALISM 1.2).
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
export function* appSession(ctx: SessionContext): Generator<RawEvent> {
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
  // streaming 63-70% on demand: REALISM 1.1).
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
  const emitFrom = ctx.emitFrom ?? -Infinity;
  const scratch: RawEvent = { event: "", timestamp: "" };
  const ev = (event: string, timestamp: number): RawEvent => {
    ctx.t = timestamp;
    if (timestamp < emitFrom) {
      scratch.event = event;
      return scratch;
    }
    return {
      event,
      eventId: "",
      timestamp: isoTime(timestamp),
      householdId: common.householdId,
      userId: common.userId,
      tvId: common.tvId,
      region: common.region,
      regionCode: common.regionCode,
      deviceType: common.deviceType,
      os: common.os,
      serviceId: common.serviceId,
      appSessionId: common.appSessionId,
    };
  };
  const badNetwork = rng.chance(device.deviceType === "Mobile" ? 0.3 : 0.15);
  const rungBase = tv ? 5 : device.deviceType === "Mobile" ? 2 : 4;
  const state = { t: ctx.startMs, playbacks: 0, autoplays: 0 };

  const start = ev("app_start", state.t);
  const cold = rng.chance(0.6);
  const coldStartMs = Math.round(
    cold ? rng.lognormal(2500, 0.4) : rng.lognormal(600, 0.4),
  );
  start["launchType"] = cold ? "cold" : "warm";
  start["coldStartMs"] = Math.min(coldStartMs, 20_000);
  start["householdSize"] = household.size;
  start["tvCount"] = household.tvCount;
  if (start !== scratch) yield start;
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
  ): Generator<RawEvent, string> {
    const channel = CHANNELS[channelIndex]!;
    const psid = nextPlaybackId();
    const t0 = state.t;
    const surf = rng.chance(0.42);
    let dwell = surf
      ? Math.min(9_500, rng.lognormal(4_000, 0.5))
      : Math.min(4 * HOUR_MS, rng.lognormal(14 * 60_000, 1.25) + 10_000);
    dwell = Math.round(dwell);
    let tEnd = Math.min(t0 + dwell, deadline);
    const s = ev("channel_start", t0);
    const program = s === scratch
      ? { programId: "", genre: "" }
      : programAt(channel.id, t0);
    s["playbackSessionId"] = psid;
    s["channelId"] = channel.id;
    s["channelName"] = channel.name;
    s["programId"] = program.programId;
    s["programGenre"] = program.genre;
    s["tuneMethod"] = method;
    s["zapLatencyMs"] = Math.round(rng.uniform(1_200, 3_500));
    s["isLive"] = true;
    s["timeshiftOffsetSec"] = 0;
    if (s !== scratch) yield s;
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
        // Ad avoidance (15% live, REALISM 1.5): leave as the break starts.
        tEnd = b.startMs;
        reason = bEnd > deadline ? "app_exit" : "zap";
        break;
      }
      yield* playSegment(psid, channel.id, b.startMs);
      if (state.t < b.startMs) break; // ended by a fatal error
      yield* linearBreak(psid, channel.id, b.adBreakId, b.durationSec);
      position += (state.t - b.startMs) / 1000;
      if (tEnd < state.t + 5_000) tEnd = state.t + 5_000;
      tEnd = Math.min(tEnd, deadline);
    }
    if (!fatal && state.t < tEnd) {
      yield* playSegment(psid, channel.id, tEnd);
    }
    if (fatal) {
      fatal = false;
      reason = "error";
    }
    const e = ev("channel_end", state.t);
    e["playbackSessionId"] = psid;
    e["channelId"] = channel.id;
    e["programId"] = e === scratch
      ? ""
      : programAt(channel.id, state.t).programId;
    const watched = Math.round((state.t - t0) / 1000);
    e["watchDurationSec"] = watched;
    e["endReason"] = reason;
    e["isSurf"] = state.t - t0 < 10_000;
    if (e !== scratch) yield e;
    return reason;

    // Plays live content until `until`, emitting heartbeats and stalls.
    function* playSegment(
      psid: string,
      channelId: string,
      until: number,
    ): Generator<RawEvent> {
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
          const bs = ev("buffer_start", at);
          bs["playbackSessionId"] = psid;
          bs["channelId"] = channelId;
          bs["positionSec"] = round1(position);
          bs["cause"] = "network";
          if (bs !== scratch) yield bs;
          state.t = at + dur;
          const be = ev("buffer_end", state.t);
          be["playbackSessionId"] = psid;
          be["channelId"] = channelId;
          be["positionSec"] = round1(position);
          be["bufferDurationMs"] = dur;
          be["cause"] = "network";
          if (be !== scratch) yield be;
          anchor = state.t;
          continue;
        }
        if (rng.chance(0.0002)) {
          const at = Math.round(anchor + rng.uniform(500, 9_500));
          if (at < until) {
            position += (at - state.t) / 1000;
            state.t = at;
            const er = ev("error", at);
            er["playbackSessionId"] = psid;
            er["channelId"] = channelId;
            er["errorCode"] = "LIVE-3016";
            er["errorMessage"] = "multicast stream lost";
            er["severity"] = "fatal";
            er["phase"] = "playback";
            if (er !== scratch) yield er;
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
            const bc = ev("bitrate_change", next);
            bc["playbackSessionId"] = psid;
            bc["channelId"] = channelId;
            bc["fromKbps"] = LADDER[rung]!.kbps;
            bc["toKbps"] = LADDER[to]!.kbps;
            bc["resolution"] = LADDER[to]!.resolution;
            if (bc !== scratch) yield bc;
            rung = to;
          }
        }
        const hb = ev("heartbeat", next);
        hb["playbackSessionId"] = psid;
        hb["channelId"] = channelId;
        hb["positionSec"] = round1(position);
        hb["bitrateKbps"] = LADDER[rung]!.kbps;
        hb["bufferHealthSec"] = round1(rng.uniform(8, 30));
        if (hb !== scratch) yield hb;
      }
    }

    function* linearBreak(
      psid: string,
      channelId: string,
      adBreakId: string,
      durationSec: number,
    ): Generator<RawEvent> {
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
  ): Generator<RawEvent> {
    const tag = (e: RawEvent) => {
      e["playbackSessionId"] = psid;
      if (ref.channelId) e["channelId"] = ref.channelId;
      if (ref.contentId) e["contentId"] = ref.contentId;
      e["adBreakId"] = adBreakId;
      return e;
    };
    const planned = lengths.reduce((a, b) => a + b, 0);
    const bs = tag(ev("ad_break_start", state.t));
    bs["adPosition"] = adPosition;
    bs["podLength"] = lengths.length;
    bs["plannedDurationSec"] = planned;
    if (bs !== scratch) yield bs;
    let played = 0, completed = 0;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const adNumber = rng.int(4000);
      const adId = `AD_${String(adNumber).padStart(4, "0")}`;
      const t0 = state.t;
      const a = tag(ev("ad_start", t0));
      a["adId"] = adId;
      a["advertiser"] = ctx.advertisers[adNumber % ctx.advertisers.length] ??
        "unknown";
      a["adDurationSec"] = len;
      a["podPosition"] = i + 1;
      a["skippable"] = skippable;
      if (a !== scratch) yield a;
      played++;
      // CTV ad completion ~96% (REALISM 1.5); skips only after 5 s.
      const skipAt = skippable && rng.chance(0.25)
        ? rng.uniform(5, len * 0.9)
        : undefined;
      for (let q = 1; q <= 3; q++) {
        const at = t0 + Math.round(len * 250 * q);
        if (skipAt !== undefined && at >= t0 + skipAt * 1000) break;
        const qe = tag(ev("ad_quartile", at));
        qe["adId"] = adId;
        qe["quartile"] = q;
        if (qe !== scratch) yield qe;
      }
      if (skipAt !== undefined) {
        state.t = t0 + Math.round(skipAt * 1000);
        const sk = tag(ev("ad_skip", state.t));
        sk["adId"] = adId;
        sk["watchedSec"] = round1((state.t - t0) / 1000);
        if (sk !== scratch) yield sk;
      } else {
        state.t = t0 + len * 1000;
        const c = tag(ev("ad_complete", state.t));
        c["adId"] = adId;
        c["watchedSec"] = len;
        if (c !== scratch) yield c;
        completed++;
      }
    }
    const be = tag(ev("ad_break_end", state.t));
    be["adsPlayed"] = played;
    be["adsCompleted"] = completed;
    if (be !== scratch) yield be;
  }

  // ---- one VoD play ----------------------------------------------------------
  function* play(
    svc: Service,
    contentIndex: number,
    autoplay: boolean,
    deadline: number,
  ): Generator<RawEvent, string> {
    const content = contentAt(contentIndex);
    const psid = nextPlaybackId();
    const ref = { contentId: content.contentId };
    const tag = (e: RawEvent) => {
      e["playbackSessionId"] = psid;
      e["contentId"] = content.contentId;
      return e;
    };
    const resumeAt = !autoplay && content.contentType !== "clip" &&
        rng.chance(0.15)
      ? Math.floor(rng.uniform(0.1, 0.6) * content.durationSec)
      : 0;
    const ps = tag(ev("playback_start", state.t));
    ps["contentType"] = content.contentType;
    ps["durationSec"] = content.durationSec;
    ps["startPositionSec"] = resumeAt;
    ps["autoplay"] = autoplay;
    ps["cdn"] = CDNS[rng.int(CDNS.length)]!;
    ps["protocol"] = device.os === "iOS" || device.os === "tvOS" ||
        device.os === "iPadOS" || device.os === "Safari"
      ? "HLS"
      : "DASH";
    if (ps !== scratch) yield ps;
    let rebufferMs = 0, rebufferCount = 0, playedMs = 0;
    let position = resumeAt;
    const end = (reason: string, startup?: number) => {
      const pe = tag(ev("playback_end", state.t));
      pe["endReason"] = reason;
      pe["positionSec"] = round1(position);
      pe["playTimeSec"] = round1(playedMs / 1000);
      pe["rebufferTimeSec"] = round1(rebufferMs / 1000);
      pe["rebufferCount"] = rebufferCount;
      if (startup !== undefined) pe["startupTimeMs"] = startup;
      return pe;
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
    // (REALISM 1.4 bands: VST median 1.5-4 s, p90 6-8 s).
    const median = tv || device.deviceType === "CTVStick" ? 1_600 : 2_600;
    const startup = Math.round(
      Math.min(60_000, Math.max(100, rng.lognormal(median, 0.55))),
    );
    if (rng.chance(0.012)) {
      // Video start failure: a fatal error before the first frame.
      state.t += Math.round(Math.min(startup, 8_000));
      const er = tag(ev("error", state.t));
      er["errorCode"] = rng.chance(0.5) ? "DRM-4031" : "NET-2001";
      er["errorMessage"] = er["errorCode"] === "DRM-4031"
        ? "license request failed"
        : "manifest download failed";
      er["severity"] = "fatal";
      er["phase"] = "startup";
      if (er !== scratch) yield er;
      state.t += 300;
      const failed = end("error");
      if (failed !== scratch) yield failed;
      return "error";
    }
    // Exit before video start: no one leaves before 2 s, then +5.8 pp per
    // second (Krishnan & Sitaraman, REALISM 1.4).
    const patience = 2_000 + rng.exp(12_000);
    if (patience < startup || state.t + startup >= deadline) {
      state.t = Math.min(
        deadline,
        state.t + Math.round(Math.min(patience, startup)),
      );
      const exited = end("ebvs");
      if (exited !== scratch) yield exited;
      return "ebvs";
    }
    state.t += startup;
    let rung = Math.max(0, rungBase - (startup > 4_000 ? 2 : 0));
    const ff = tag(ev("playback_first_frame", state.t));
    ff["startupTimeMs"] = startup;
    ff["bitrateKbps"] = LADDER[rung]!.kbps;
    ff["resolution"] = LADDER[rung]!.resolution;
    if (ff !== scratch) yield ff;

    // How much the viewer intends to watch: ~20% of views reach the end
    // (REALISM 1.2 browsing study), the rest are short looks or partial views.
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
          const bs = tag(ev("buffer_start", state.t));
          bs["positionSec"] = round1(position);
          bs["cause"] = "network";
          if (bs !== scratch) yield bs;
          state.t += dur;
          rebufferMs += dur;
          rebufferCount++;
          const be = tag(ev("buffer_end", state.t));
          be["positionSec"] = round1(position);
          be["bufferDurationMs"] = dur;
          be["cause"] = "network";
          if (be !== scratch) yield be;
          anchor = state.t;
          continue;
        }
        if (r < pPause) {
          // Pause: ~one every 40 minutes; long pauses time out (rule 11).
          advance();
          const pauseMs = Math.round(rng.lognormal(45_000, 1.3));
          const p = tag(ev("pause", state.t));
          p["positionSec"] = round1(position);
          if (p !== scratch) yield p;
          if (pauseMs >= PAUSE_TIMEOUT_MS || state.t + pauseMs >= deadline) {
            const timeout = pauseMs >= PAUSE_TIMEOUT_MS &&
              state.t + PAUSE_TIMEOUT_MS < deadline;
            state.t = timeout ? state.t + PAUSE_TIMEOUT_MS : deadline;
            reason = timeout ? "timeout" : "user_exit";
            break loop;
          }
          state.t += pauseMs;
          const rs = tag(ev("resume", state.t));
          rs["positionSec"] = round1(position);
          rs["pauseDurationSec"] = round1(pauseMs / 1000);
          if (rs !== scratch) yield rs;
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
          const ss = tag(ev("seek_start", state.t));
          ss["fromSec"] = round1(position);
          ss["toSec"] = round1(to);
          if (ss !== scratch) yield ss;
          const latency = Math.round(rng.lognormal(600, 0.5));
          if (state.t + latency >= deadline) break loop;
          state.t += latency;
          position = round1(to);
          const se = tag(ev("seek_end", state.t));
          se["positionSec"] = position;
          se["seekLatencyMs"] = latency;
          if (se !== scratch) yield se;
          anchor = state.t;
          continue;
        }
        if (r >= pSeek && r < pFatal) {
          advance();
          const er = tag(ev("error", state.t));
          er["errorCode"] = "NET-2004";
          er["errorMessage"] = "segment download failed after retries";
          er["severity"] = "fatal";
          er["phase"] = "playback";
          if (er !== scratch) yield er;
          state.t += 400;
          reason = "error";
          break loop;
        }
        if (r >= pFatal && r < pWarn) {
          advance();
          const er = tag(ev("error", state.t));
          er["errorCode"] = "NET-1002";
          er["errorMessage"] = "segment retry";
          er["severity"] = "warning";
          er["phase"] = "playback";
          if (er !== scratch) yield er;
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
          const bc = tag(ev("bitrate_change", state.t));
          bc["fromKbps"] = LADDER[rung]!.kbps;
          bc["toKbps"] = LADDER[to]!.kbps;
          bc["resolution"] = LADDER[to]!.resolution;
          if (bc !== scratch) yield bc;
          rung = to;
        }
      }
      const hb = tag(ev("heartbeat", state.t));
      hb["positionSec"] = round1(position);
      hb["bitrateKbps"] = LADDER[rung]!.kbps;
      hb["bufferHealthSec"] = round1(rng.uniform(10, 40));
      if (hb !== scratch) yield hb;
    }
    if (state.t > deadline) state.t = deadline;
    const ended = end(reason, startup);
    if (ended !== scratch) yield ended;
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
      // Time to pick something: browsing before the play (REALISM 1.2).
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
  const end = ev("app_end", state.t);
  end["endReason"] = endReason;
  end["appSessionDurationSec"] = Math.round((state.t - ctx.startMs) / 1000);
  if (end !== scratch) yield end;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

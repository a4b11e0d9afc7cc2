/**
 * One VoD play: playback_start, an optional pre-roll, start-up (or a video
 * start failure, or an exit before video start), the first frame, then
 * playing with heartbeats, stalls, pauses, seeks, errors and mid-rolls
 * until the viewer stops, the title ends or the session does
 * (docs/realism.md 1.2, 1.4, 3.4).
 *
 * @module
 */
import {
  type Content,
  contentAt,
  CREATIVES,
  isTvScreen,
  type Service,
} from "./catalog.ts";
import { adPod } from "./ad_pod.ts";
import { extraEvents } from "./extra_events.ts";
import { ADS_DOWN, APP_CRASH, CDN_OUTAGE } from "./incident_effects.ts";
import { titleOf } from "./faker.ts";
import {
  type EventFields,
  HEARTBEAT_MS,
  PAUSE_TIMEOUT_MS,
  round1,
  type SessionState,
} from "./session.ts";
import { flat, quote } from "./text.ts";
import { call, type Steps } from "./steps.ts";

/** Start failures by platform: licence servers per DRM, manifests, edges. */
const START_FAILURES: Record<string, readonly string[]> = {
  apple: [
    ',"errorCode":"DRM-4101","errorMessage":"FairPlay licence request failed"',
    ',"errorCode":"NET-2001","errorMessage":"manifest download failed"',
    ',"errorCode":"AVF-11800","errorMessage":"AVFoundation operation could not be completed"',
  ],
  android: [
    ',"errorCode":"DRM-4031","errorMessage":"Widevine licence request failed"',
    ',"errorCode":"NET-2001","errorMessage":"manifest download failed"',
    ',"errorCode":"EXO-2004","errorMessage":"ExoPlayer source error"',
  ],
  tv: [
    ',"errorCode":"DRM-4201","errorMessage":"PlayReady licence request failed"',
    ',"errorCode":"HDCP-1001","errorMessage":"HDCP handshake failed"',
    ',"errorCode":"CDN-503","errorMessage":"edge server returned 503"',
  ],
  web: [
    ',"errorCode":"DRM-4031","errorMessage":"Widevine licence request failed"',
    ',"errorCode":"MEDIA-4","errorMessage":"MEDIA_ERR_SRC_NOT_SUPPORTED"',
    ',"errorCode":"GEO-451","errorMessage":"not available in this region"',
  ],
};
/** Fatal errors while playing. */
const PLAY_FAILURES = [
  ',"errorCode":"NET-2004","errorMessage":"segment download failed after retries"',
  ',"errorCode":"DEC-3001","errorMessage":"video decoder error"',
  ',"errorCode":"DRM-4032","errorMessage":"licence renewal failed"',
];
/** Warnings: playing goes on. */
const WARNINGS = [
  ',"errorCode":"NET-1002","errorMessage":"segment retry"',
  ',"errorCode":"ABR-1101","errorMessage":"bandwidth estimate dropped"',
  ',"errorCode":"SUB-1201","errorMessage":"subtitle track failed to load"',
];

/** The platform family whose player and DRM a device uses. */
function platform(os: string): string {
  if (os === "iOS" || os === "iPadOS" || os === "tvOS" || os === "Safari") {
    return "apple";
  }
  if (os === "Android" || os === "Google TV Streamer" || os === "Fire TV") {
    return "android";
  }
  if (os === "Chrome" || os === "Edge" || os === "Firefox") return "web";
  return "tv";
}

/** What the phases of one play share. */
interface Play {
  psid: string;
  content: Content;
  /** The fields every event of this play opens with. */
  tag: string;
  position: number;
  playedMs: number;
  rebufferMs: number;
  rebufferCount: number;
  /** When the heartbeat clock last (re)started. */
  anchor: number;
  rung: number;
  /** Where the viewer means to stop (seconds). */
  stopAt: number;
  /** This heartbeat interval's offset from 10 s (ms). */
  jitter: number;
  /** Time of the last event inside the current heartbeat interval. */
  lastT: number;
  nextMidroll: number;
  reason: string;
  /** The CDN delivering it. */
  cdn: string;
  /** Its service's id. */
  service: string;
}

/** How a step of the playing loop leaves it. */
type Flow = "continue" | "break" | "none";

/** A phase of playing: an interruption or a mid-roll, ending with how the loop goes on. */
type Phase = (
  s: SessionState,
  p: Play,
  deadline: number,
) => Generator<EventFields, Flow>;

/** Yields one play of title `contentIndex`; returns its end reason. */
export function* play(
  s: SessionState,
  svc: Service,
  contentIndex: number,
  autoplay: boolean,
  deadline: number,
): Steps<string> {
  const content = contentAt(svc, contentIndex);
  const psid = s.nextPlaybackId();
  const tag = flat(
    ',"playbackSessionId":"' + psid + '","contentId":"' + content.contentId +
      '"',
  );
  const resumeAt = !autoplay && content.contentType !== "clip" &&
      s.rng.chance(0.15)
    ? Math.floor(s.rng.uniform(0.1, 0.6) * content.durationSec)
    : 0;
  const cdn = s.rng.pickKey(s.catalog.serviceCdns.get(svc.id)!);
  if (s.on("playback_start", s.t)) {
    const hls = platform(s.device.os) === "apple";
    yield tag + ',"title":' +
      quote(titleOf(content.contentId, content.index, svc.language ?? "en")) +
      ',"contentType":"' + content.contentType + '","durationSec":' +
      content.durationSec + ',"startPositionSec":' + resumeAt +
      ',"autoplay":' + autoplay + ',"cdn":' + quote(cdn) + ',"protocol":"' +
      (hls ? "HLS" : "DASH") + '"';
  }
  const p: Play = {
    psid,
    content,
    tag,
    position: resumeAt,
    playedMs: 0,
    rebufferMs: 0,
    rebufferCount: 0,
    anchor: 0,
    rung: 0,
    stopAt: 0,
    jitter: 0,
    lastT: 0,
    nextMidroll: Infinity,
    reason: "user_exit",
    cdn,
    service: svc.id,
  };
  if (svc.vodAds && deadline - s.t > 120_000) {
    s.t += Math.round(s.rng.uniform(150, 600));
    // A failed ad call starts the content at once, with no pre-roll.
    const noAds = yield* adServerDown(s, p);
    if (!noAds && (yield* preRoll(s, p))) {
      yield* endEarly(s, p, "ebvs");
      return p.reason;
    }
  }
  const startup = yield* startUp(s, p, deadline);
  if (startup === undefined) return p.reason;
  plan(s, p, svc);
  yield* call(playSteps(s, p, deadline));
  if (s.t > deadline) s.t = deadline;
  const ended = end(s, p, p.reason, startup);
  if (ended !== undefined) yield ended;
  return p.reason;
}

/** Whether an ad server incident fails this break (a warning, no ads). */
function* adServerDown(
  s: SessionState,
  p: Play,
): Generator<EventFields, boolean> {
  const failure = s.incidents.adFailure(s.t, p.service);
  if (failure === 0 || !s.rng.chance(failure)) return false;
  if (s.on("error", s.t)) {
    yield p.tag + ADS_DOWN + ',"severity":"warning","phase":"ad"';
  }
  return true;
}

/** How often a skippable spot is skipped: rarely on the big screen (realism 1.5 completion). */
function skipRate(s: SessionState): number {
  return isTvScreen(s.device.deviceType) ? 0.03 : 0.2;
}

/**
 * A pre-roll of one or two spots; returns true when the viewer left during
 * it: 19% during a spot of 10-15 s, 33% during longer ones (realism 1.5).
 */
function* preRoll(s: SessionState, p: Play): Generator<EventFields, boolean> {
  const ads = Array.from(
    { length: 1 + s.rng.int(2) },
    () => s.rng.int(CREATIVES),
  );
  const leave = s.rng.chance(ads.length === 1 ? 0.19 : 0.33);
  return yield* adPod(
    s,
    p.psid,
    { contentId: p.content.contentId },
    `AB_${p.psid}_pre`,
    "pre",
    {
      ads,
      skippable: true,
      skipRate: skipRate(s),
      ...(leave ? { leaveAfterMs: s.rng.uniform(1_500, 9_000) } : {}),
    },
  );
}

/**
 * Start-up: lognormal, median ~1.6 s on big screens, ~2.6 s on mobile
 * (realism 1.4 bands: VST median 1.5-4 s, p90 6-8 s). Returns the start-up
 * time once the first frame is shown, or undefined when the play ended
 * before it (a start failure, or the viewer gave up).
 */
function* startUp(
  s: SessionState,
  p: Play,
  deadline: number,
): Generator<EventFields, number | undefined> {
  const median = s.tv || s.device.deviceType === "CTVStick" ? 1_600 : 2_600;
  const startup = Math.round(
    Math.min(60_000, Math.max(100, s.rng.lognormal(median, 0.55))),
  );
  const outage = s.incidents.startFailure(s.t, p.cdn);
  const failed = s.rng.chance(s.catalog.behaviour.startFailureRate)
    ? 1
    : outage > 0 && s.rng.chance(outage)
    ? 2
    : 0;
  if (failed > 0) {
    // Video start failure: a fatal error before the first frame.
    s.t += Math.round(Math.min(startup, 8_000));
    const codes = START_FAILURES[platform(s.device.os)]!;
    const code = failed === 2 ? CDN_OUTAGE : codes[s.rng.int(codes.length)]!;
    if (s.on("error", s.t)) {
      yield p.tag + code + ',"severity":"fatal","phase":"startup"';
    }
    s.t += 300;
    return yield* endEarly(s, p, "error");
  }
  // Exit before video start: no one leaves before 2 s, then +5.8 pp per
  // second (Krishnan & Sitaraman, realism 1.4).
  const patience = 2_000 + s.rng.exp(12_000);
  if (patience < startup || s.t + startup >= deadline) {
    s.t = Math.min(deadline, s.t + Math.round(Math.min(patience, startup)));
    return yield* endEarly(s, p, "ebvs");
  }
  s.t += startup;
  p.rung = Math.max(
    0,
    s.rungBase - (startup > 4_000 ? 2 : 0) -
      s.incidents.rungDrop(s.t, s.isp, s.regionCode),
  );
  if (s.on("playback_first_frame", s.t)) {
    yield p.tag + ',"startupTimeMs":' + startup + ',"bitrateKbps":' +
      s.catalog.ladder[p.rung]!.kbps + ',"resolution":"' +
      s.catalog.ladder[p.rung]!.resolution +
      '"';
  }
  return startup;
}

/** Ends the play before its first frame. */
function* endEarly(
  s: SessionState,
  p: Play,
  reason: string,
): Generator<EventFields, undefined> {
  p.reason = reason;
  const ended = end(s, p, reason);
  if (ended !== undefined) yield ended;
  return undefined;
}

/**
 * How much the viewer intends to watch: ~20% of views reach the end
 * (realism 1.2 browsing study), the rest are short looks or partial views.
 */
function plan(s: SessionState, p: Play, svc: Service): void {
  const remaining = p.content.durationSec - p.position;
  const type = s.device.deviceType;
  // [complete, short look, partial up to]: big screens watch on (28.7 min
  // per play), phones look briefly (8.6 min per play), realism 1.2.
  const [whole, look, upTo] = type === "Mobile"
    ? [0.2, 0.45, 0.5]
    : type === "Tablet" || type === "Web"
    ? [0.22, 0.35, 0.8]
    : [0.55, 0.1, 0.98];
  const intent = s.rng.chance(whole)
    ? remaining
    : s.rng.chance(look / (1 - whole))
    ? Math.min(remaining * 0.94, s.rng.exp(120))
    : remaining * s.rng.uniform(0.1, upTo);
  p.stopAt = p.position + intent;
  p.anchor = s.t;
  p.nextMidroll = svc.vodAds
    ? p.position + s.rng.uniform(600, 900) / s.catalog.behaviour.adLoad
    : Infinity;
}

/** The `playback_end` fields, or undefined while skipping. */
function end(
  s: SessionState,
  p: Play,
  reason: string,
  startup?: number,
): string | undefined {
  if (!s.on("playback_end", s.t)) return undefined;
  return p.tag + ',"endReason":"' + reason + '","positionSec":' +
    round1(p.position) + ',"playTimeSec":' + round1(p.playedMs / 1000) +
    ',"rebufferTimeSec":' + round1(p.rebufferMs / 1000) +
    ',"rebufferCount":' + p.rebufferCount +
    (startup !== undefined ? ',"startupTimeMs":' + startup : "");
}

/**
 * Plays to the end: step by step up to the next thing that must happen (a
 * heartbeat, the stop, a mid-roll, the deadline), drawing the random
 * interruptions of each heartbeat interval first. One generator for the
 * whole play: one per step cost more than the heartbeats themselves.
 */
function* playSteps(
  s: SessionState,
  p: Play,
  deadline: number,
): Generator<EventFields> {
  while (true) {
    const toHeartbeat = p.anchor + HEARTBEAT_MS + p.jitter - s.t;
    const toStop = Math.max(
      0,
      (Math.min(p.stopAt, p.content.durationSec) - p.position) * 1000,
    );
    const toMidroll = Math.max(0, (p.nextMidroll - p.position) * 1000);
    const toDeadline = deadline - s.t;
    const step = Math.min(toHeartbeat, toStop, toMidroll, toDeadline);
    if (step === toHeartbeat && toHeartbeat > 0) {
      const r = s.rng.next();
      const at = Math.round(s.rng.uniform(0.05, 0.95) * toHeartbeat);
      if (r < interruptionOdds(s, p)) {
        const flow = yield* interruption(s, p, r, at, deadline);
        if (flow === "break") return;
        if (flow === "continue") continue;
      }
    }
    if (step <= 0 && step === toDeadline) return;
    s.t += Math.round(step);
    p.position += step / 1000;
    p.playedMs += Math.round(step);
    if (step === toDeadline) return;
    if (step === toStop) {
      if (p.stopAt >= p.content.durationSec) {
        p.position = p.content.durationSec;
        p.reason = "completed";
      }
      return;
    }
    if (step === toMidroll) {
      if ((yield* midroll(s, p, deadline)) === "break") return;
      continue;
    }
    if (s.rng.chance(0.02)) yield* rungSwitch(s, p);
    const health = s.rng.uniform(10, 40);
    if (s.on("heartbeat", s.t)) {
      yield s.heartbeat(
        p.tag,
        p.position,
        s.catalog.ladder[p.rung]!.kbps,
        health,
      );
    }
    if (s.catalog.extraTypes.length > 0) yield* extraEvents(s, p.tag, "play");
    p.anchor = s.t;
    p.lastT = s.t;
    // Players tick on their own timers, a few hundred ms either way.
    p.jitter = Math.round(s.rng.uniform(-150, 250));
  }
}

/** The chance that a 10 s interval of play has an interruption. */
function interruptionOdds(s: SessionState, p: Play): number {
  const b = s.catalog.behaviour;
  return stallOdds(s, p) + b.pauseChancePer10s + b.seekChancePer10s + 0.00015 +
    s.incidents.crash(s.t, s.device.os, s.appVersion) + 0.001;
}

/** The chance that a 10 s interval of play stalls: bad networks, and incidents. */
function stallOdds(s: SessionState, p: Play): number {
  return (s.badNetwork ? 0.08 : 0.0008) * s.catalog.behaviour.rebuffering *
    s.incidents.stallFactor(s.t, p.cdn, s.isp, s.regionCode);
}

/**
 * Per 10 s of play, `r` drawn uniform: a stall (mostly on bad networks), a
 * pause (about one per 40 min), a seek, a fatal error, a warning, or
 * nothing ("none"), `at` ms into the interval.
 */
function* interruption(
  s: SessionState,
  p: Play,
  r: number,
  at: number,
  deadline: number,
): Generator<EventFields, Flow> {
  const pStall = stallOdds(s, p);
  const pPause = pStall + s.catalog.behaviour.pauseChancePer10s;
  const pSeek = pPause + s.catalog.behaviour.seekChancePer10s;
  const pError = pSeek + 0.00015;
  const pFatal = pError + s.incidents.crash(s.t, s.device.os, s.appVersion);
  const pWarn = pFatal + 0.001;
  const advance = () => {
    s.t += at;
    p.position += at / 1000;
    p.playedMs += at;
  };
  if (r < pStall) {
    advance();
    return yield* stall(s, p, deadline);
  }
  if (r < pPause) {
    advance();
    return yield* pause(s, p, deadline);
  }
  if (r < pSeek && p.content.contentType !== "clip") {
    advance();
    return yield* seek(s, p, deadline);
  }
  if (r >= pSeek && r < pFatal) {
    advance();
    const code = r >= pError
      ? APP_CRASH
      : PLAY_FAILURES[s.rng.int(PLAY_FAILURES.length)]!;
    if (s.on("error", s.t)) {
      yield p.tag + code + ',"severity":"fatal","phase":"playback"';
    }
    s.t += 400;
    p.reason = "error";
    return "break";
  }
  if (r >= pFatal && r < pWarn) {
    advance();
    const code = WARNINGS[s.rng.int(WARNINGS.length)]!;
    if (s.on("error", s.t)) {
      yield p.tag + code + ',"severity":"warning","phase":"playback"';
    }
    p.lastT = s.t;
    // A warning keeps playing: the heartbeat clock is not reset.
    return "continue";
  }
  return "none";
}

/** A network stall. */
const stall: Phase = function* (s, p, deadline) {
  const dur = Math.round(Math.min(30_000, s.rng.lognormal(2_000, 0.7)));
  if (s.t + dur >= deadline) return "break";
  if (s.on("buffer_start", s.t)) {
    yield p.tag + ',"positionSec":' + round1(p.position) +
      ',"cause":"network"';
  }
  s.t += dur;
  p.rebufferMs += dur;
  p.rebufferCount++;
  if (s.on("buffer_end", s.t)) {
    yield p.tag + ',"positionSec":' + round1(p.position) +
      ',"bufferDurationMs":' + dur + ',"cause":"network"';
  }
  p.anchor = s.t;
  return "continue";
};

/** A pause: ~one every 40 minutes; long pauses time out (rule 11). */
const pause: Phase = function* (s, p, deadline) {
  const pauseMs = Math.round(s.rng.lognormal(45_000, 1.3));
  if (s.on("pause", s.t)) {
    yield p.tag + ',"positionSec":' + round1(p.position);
  }
  if (pauseMs >= PAUSE_TIMEOUT_MS || s.t + pauseMs >= deadline) {
    const timeout = pauseMs >= PAUSE_TIMEOUT_MS &&
      s.t + PAUSE_TIMEOUT_MS < deadline;
    s.t = timeout ? s.t + PAUSE_TIMEOUT_MS : deadline;
    p.reason = timeout ? "timeout" : "user_exit";
    return "break";
  }
  s.t += pauseMs;
  if (s.on("resume", s.t)) {
    yield p.tag + ',"positionSec":' + round1(p.position) +
      ',"pauseDurationSec":' + round1(pauseMs / 1000);
  }
  p.anchor = s.t;
  return "continue";
};

/** A seek back or forward, within the title and short of where the viewer stops. */
const seek: Phase = function* (s, p, deadline) {
  const back = s.rng.chance(0.4);
  const to = Math.max(
    0,
    Math.min(
      p.content.durationSec - 60,
      p.position + (back ? -1 : 1) * s.rng.uniform(10, 300),
    ),
  );
  if (to <= 0 || to >= p.stopAt) return "continue";
  if (s.on("seek_start", s.t)) {
    yield p.tag + ',"fromSec":' + round1(p.position) + ',"toSec":' +
      round1(to);
  }
  const latency = Math.round(s.rng.lognormal(600, 0.5));
  if (s.t + latency >= deadline) return "break";
  s.t += latency;
  p.position = round1(to);
  if (s.on("seek_end", s.t)) {
    yield p.tag + ',"positionSec":' + p.position + ',"seekLatencyMs":' +
      latency;
  }
  // The new position is not buffered yet, some of the time.
  if (s.rng.chance(0.7)) yield* shortBuffer(s, p, "seek", deadline);
  p.anchor = s.t;
  return "continue";
};

/** A short buffering that is not a stall of the network (after a seek or an ad). */
function* shortBuffer(
  s: SessionState,
  p: Play,
  cause: string,
  deadline: number,
): Generator<EventFields> {
  const dur = Math.round(s.rng.lognormal(500, 0.6));
  if (s.t + dur >= deadline) return;
  if (s.on("buffer_start", s.t)) {
    yield p.tag + ',"positionSec":' + round1(p.position) + ',"cause":"' +
      cause + '"';
  }
  s.t += dur;
  if (s.on("buffer_end", s.t)) {
    yield p.tag + ',"positionSec":' + round1(p.position) +
      ',"bufferDurationMs":' + dur + ',"cause":"' + cause + '"';
  }
}

/**
 * A mid-roll of 2-4 spots, unless it would outlast the session. Some
 * viewers leave during it (realism 1.5; see docs/realism.md for the rate).
 */
const midroll: Phase = function* (s, p, deadline) {
  p.position = round1(p.position);
  if (yield* adServerDown(s, p)) {
    // The content plays on: the heartbeat clock is not reset.
    p.lastT = s.t;
    p.nextMidroll = p.position +
      s.rng.uniform(600, 900) / s.catalog.behaviour.adLoad;
    return "continue";
  }
  const ads = Array.from(
    { length: 2 + s.rng.int(3) },
    () => s.rng.int(CREATIVES),
  );
  if (s.t + ads.length * 60_000 >= deadline) return "break";
  const leave = s.rng.chance(0.12);
  const left = yield* adPod(
    s,
    p.psid,
    { contentId: p.content.contentId },
    `AB_${p.psid}_${Math.round(p.position)}`,
    "mid",
    {
      ads,
      skippable: false,
      ...(leave ? { leaveAfterMs: s.rng.uniform(2_000, 25_000) } : {}),
    },
  );
  if (left) {
    p.reason = "user_exit";
    return "break";
  }
  // Stitched ads hand back to the content with a short rebuffer, sometimes.
  if (s.rng.chance(0.3)) yield* shortBuffer(s, p, "ad_transition", deadline);
  p.nextMidroll = p.position +
    s.rng.uniform(600, 900) / s.catalog.behaviour.adLoad;
  p.anchor = s.t;
  return "continue";
};

/** A change of rung somewhere in the interval ending now. */
function* rungSwitch(s: SessionState, p: Play): Generator<EventFields> {
  const to = Math.max(
    0,
    Math.min(
      s.catalog.ladder.length - 1,
      p.rung + (s.rng.chance(0.6) ? 1 : -1),
    ),
  );
  // The switch lands somewhere in the interval, after its last event.
  const from = Math.max(p.anchor, p.lastT) + 1;
  const at = Math.round(from + s.rng.uniform(0.05, 0.95) * (s.t - from));
  if (to !== p.rung && at < s.t) {
    if (s.on("bitrate_change", at)) {
      yield p.tag + ',"fromKbps":' + s.catalog.ladder[p.rung]!.kbps +
        ',"toKbps":' +
        s.catalog.ladder[to]!.kbps + ',"resolution":"' +
        s.catalog.ladder[to]!.resolution + '"';
    }
    p.rung = to;
  }
}

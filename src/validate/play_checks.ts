/**
 * The checks of events inside an open tune or play, one checker per event
 * type: each reads the play's state, flags what breaks a rule
 * (docs/realism.md 3.5) and moves the state on.
 *
 * @module
 */
import { HOUR_MS } from "../model/time.ts";
import type { Fields, Flag, Play } from "./state.ts";
import type { WorldChecks } from "./world_checks.ts";

/** What a checker is given. */
export interface PlayEvent {
  flag: Flag;
  e: Fields;
  p: Play;
  t: number;
  /** Linear breaks seen, by channel and hour: their planned lengths (ad minutes KPI). */
  breaks: Map<string, Map<string, number>>;
  /** The checks against the world's data. */
  world: WorldChecks;
}

type Checker = (c: PlayEvent) => void;

/** Checks an event of the play `c.p` (not its start or end). */
export function checkPlayEvent(type: string, c: PlayEvent): void {
  // Missing heartbeats: in PLAYING nothing may come later than anchor + 11 s.
  const { p, t } = c;
  if (p.state === "playing" && t - p.anchor > 11_000) {
    c.flag(
      "heartbeat",
      c.e,
      `no heartbeat for ${((t - p.anchor) / 1000).toFixed(1)} s while playing`,
    );
  }
  CHECKERS[type]?.(c);
}

/** Opens a pairing state from `from`, flagging when the play is elsewhere. */
function enter(c: PlayEvent, from: Play["state"], to: Play["state"]): void {
  if (c.p.state !== from) {
    c.flag("pairing", c.e, `${c.e["event"]} while ${c.p.state}`);
  }
  c.p.state = to;
}

/** Back to playing: the heartbeat clock restarts. */
function playing(p: Play, t: number): void {
  p.state = "playing";
  p.anchor = t;
}

/**
 * A pause or a stall: `start` leaves playing for `state` (noting when in
 * `at`), `end` returns to playing; the time between is not play time.
 */
function stallPair(
  start: string,
  end: string,
  state: "paused" | "buffering",
  at: "pauseStart" | "bufferStart",
): Record<string, Checker> {
  return {
    [start](c: PlayEvent) {
      enter(c, "playing", state);
      c.p[at] = c.t;
    },
    [end](c: PlayEvent) {
      enter(c, state, "playing");
      c.p.stallMs += c.t - c.p[at];
      playing(c.p, c.t);
    },
  };
}

const CHECKERS: Record<string, Checker> = {
  playback_first_frame({ flag, e, p, t }) {
    if (p.firstFrame) flag("first_frame", e, "second first frame");
    p.firstFrame = true;
    const startup = e["startupTimeMs"] as number;
    if (Math.abs(t - p.preEnd - startup) > 1) {
      flag("first_frame", e, "startupTimeMs != first frame - start");
    }
    if (startup < 100 || startup > 60_000) {
      flag("first_frame", e, "startupTimeMs out of [100, 60000]");
    }
    playing(p, t);
  },
  heartbeat({ flag, e, p, t }) {
    if (p.state !== "playing") {
      flag("heartbeat", e, `heartbeat while ${p.state}`);
    }
    const gap = t - p.anchor;
    if (gap < 9_000 || gap > 11_000) {
      flag("heartbeat", e, `heartbeat ${gap} ms after the last`);
    }
    const pos = e["positionSec"] as number;
    if (p.durationSec !== undefined && pos > p.durationSec + 0.5) {
      flag("playhead", e, "position beyond duration");
    }
    if (
      p.lastHbPos !== undefined && p.lastHbT !== undefined && !p.seekSinceHb
    ) {
      const expected = (t - p.lastHbT - p.stallMs) / 1000;
      if (Math.abs(pos - p.lastHbPos - expected) > 2) {
        flag(
          "playhead",
          e,
          `position moved ${(pos - p.lastHbPos).toFixed(1)} s in ${
            expected.toFixed(1)
          } s of play`,
        );
      }
    }
    p.lastHbPos = pos;
    p.lastHbT = t;
    p.stallMs = 0;
    p.seekSinceHb = false;
    p.anchor = t;
  },
  ...stallPair("pause", "resume", "paused", "pauseStart"),
  ...stallPair("buffer_start", "buffer_end", "buffering", "bufferStart"),
  seek_start(c) {
    enter(c, "playing", "seeking");
    c.p.seekTo = c.e["toSec"] as number;
  },
  seek_end(c) {
    const { flag, e, p } = c;
    if (p.state !== "seeking") flag("pairing", e, `seek_end while ${p.state}`);
    if (
      p.seekTo !== undefined &&
      Math.abs((e["positionSec"] as number) - p.seekTo) > 0.05
    ) {
      flag("playhead", e, "position after seek is not the target");
    }
    p.seekSinceHb = true;
    playing(p, c.t);
  },
  error({ e, p, t }) {
    if (e["severity"] === "fatal") p.lastFatal = t;
    // An ad call that failed before the first frame: the player starts
    // the content from there, as it would after a pre-roll.
    else if (e["phase"] === "ad" && p.state === "starting") p.preEnd = t;
  },
  ad_break_start: adBreakStart,
  ad_start({ flag, e, p, t, world }) {
    world.adStart(e, p.live);
    if (p.adBreak === undefined) flag("pairing", e, "ad outside a break");
    if (p.adOpen) flag("pairing", e, "ad inside an ad");
    p.adOpen = {
      adId: e["adId"] as string,
      start: t,
      duration: e["adDurationSec"] as number,
      q: 0,
      skippable: e["skippable"] as boolean,
    };
  },
  ad_quartile({ flag, e, p, t }) {
    const a = p.adOpen;
    const q = e["quartile"] as number;
    if (!a) {
      flag("pairing", e, "quartile outside an ad");
      return;
    }
    if (q !== a.q + 1) flag("ads", e, "quartiles out of order");
    if (Math.abs(t - a.start - a.duration * 250 * q) > 1000) {
      flag("ads", e, "quartile not at its time");
    }
    a.q = q;
  },
  ad_complete: adEnd,
  ad_skip: adEnd,
  ad_abandon: adEnd,
  ad_break_end({ flag, e, p, t }) {
    if (p.adBreak === undefined) {
      flag("pairing", e, "ad_break_end without a break");
    }
    if (p.adOpen) flag("pairing", e, "ad_break_end with an ad open");
    p.adBreak = undefined;
    if (p.state === "starting") p.preEnd = t;
    else {
      if (!p.live) p.stallMs += t - p.adBreakStart;
      playing(p, t);
    }
  },
};

/** A break opens: pre-rolls before the first frame, linear breaks on the schedule. */
function adBreakStart({ flag, e, p, t, breaks, world }: PlayEvent): void {
  world.adBreak(e, p, t);
  if (p.adBreak !== undefined) flag("pairing", e, "nested ad break");
  const pos = e["adPosition"];
  if (pos === "pre" && (p.firstFrame || p.state !== "starting")) {
    flag("ads", e, "pre-roll after the first frame");
  }
  if (pos !== "pre" && p.state !== "playing") {
    flag("pairing", e, `ad break while ${p.state}`);
  }
  p.adBreak = e["adBreakId"] as string;
  p.adBreakStart = t;
  if (pos === "linear") {
    const key = `${p.channelId}|${Math.floor(t / HOUR_MS)}`;
    let m = breaks.get(key);
    if (!m) breaks.set(key, m = new Map());
    m.set(p.adBreak, e["plannedDurationSec"] as number);
  }
  p.state = p.state === "starting" ? "starting" : "ad";
}

/** A spot ends: watched to its end, or skipped when allowed. */
function adEnd({ flag, e, p }: PlayEvent): void {
  const type = e["event"] as string;
  if (type === "ad_abandon" && p.state === "starting") p.leftInPreRoll = true;
  const a = p.adOpen;
  if (!a) flag("pairing", e, `${type} outside an ad`);
  else {
    const watched = e["watchedSec"] as number;
    if (type === "ad_complete" && Math.abs(watched - a.duration) > 1) {
      flag("ads", e, "completed ad not watched to the end");
    }
    if (type === "ad_skip" && (!a.skippable || watched < 5)) {
      flag("ads", e, "skip not allowed");
    }
  }
  p.adOpen = undefined;
}

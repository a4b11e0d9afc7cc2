/**
 * An ad break, linear or VoD: ad_break_start, each spot with its quartiles
 * and a completion, a skip (skippable spots, after 5 s) or the viewer
 * leaving (ad_abandon), then ad_break_end (docs/realism.md 1.5).
 *
 * @module
 */
import { creativeLength } from "./catalog.ts";
import { type EventFields, round1, type SessionState } from "./session.ts";
import { flat, quote } from "./text.ts";

/** The spots of a break and how the viewer takes it. */
export interface Pod {
  /** Creative numbers, in order; each has its own fixed length. */
  ads: readonly number[];
  skippable: boolean;
  /** The viewer leaves this long after the break starts. */
  leaveAfterMs?: number;
  /** Chance of skipping each skippable spot after 5 s. */
  skipRate?: number;
  /** More fields for ad_break_start (a linear break names its program). */
  extra?: string;
}

/** Yields one break from the current time; returns true when the viewer left during it. */
export function* adPod(
  s: SessionState,
  psid: string,
  ref: { channelId?: string; contentId?: string },
  adBreakId: string,
  adPosition: string,
  pod: Pod,
): Generator<EventFields, boolean> {
  // The fields every event of this break opens with.
  const tag = flat(
    ',"playbackSessionId":"' + psid + '"' +
      (ref.channelId ? ',"channelId":"' + ref.channelId + '"' : "") +
      (ref.contentId ? ',"contentId":"' + ref.contentId + '"' : "") +
      ',"adBreakId":"' + adBreakId + '"',
  );
  let planned = 0;
  for (const ad of pod.ads) planned += creativeLength(ad);
  const t0 = s.t;
  if (s.on("ad_break_start", s.t)) {
    yield tag + ',"adPosition":"' + adPosition + '","podLength":' +
      pod.ads.length + ',"plannedDurationSec":' + planned + (pod.extra ?? "");
  }
  const leaveAt = pod.leaveAfterMs === undefined
    ? Infinity
    : t0 + Math.round(pod.leaveAfterMs);
  let completed = 0;
  let played = 0;
  let left = false;
  for (let i = 0; i < pod.ads.length && !left; i++) {
    played++;
    const end = yield* spot(s, tag, pod, i, leaveAt);
    if (end === "complete") completed++;
    left = end === "abandon";
  }
  if (s.on("ad_break_end", s.t)) {
    yield tag + ',"adsPlayed":' + played + ',"adsCompleted":' + completed;
  }
  return left;
}

/** One spot; returns how it ended. */
function* spot(
  s: SessionState,
  tag: string,
  pod: Pod,
  i: number,
  leaveAt: number,
): Generator<EventFields, "complete" | "skip" | "abandon"> {
  const adNumber = pod.ads[i]!;
  const len = creativeLength(adNumber);
  const adId = `AD_${String(adNumber).padStart(4, "0")}`;
  const t0 = s.t;
  const ad = flat(tag + ',"adId":"' + adId + '"');
  if (s.on("ad_start", t0)) {
    yield ad + ',"advertiser":' +
      quote(s.advertisers[adNumber % s.advertisers.length] ?? "unknown") +
      ',"adDurationSec":' + len + ',"podPosition":' + (i + 1) +
      ',"skippable":' + pod.skippable;
  }
  const skipAt = pod.skippable && len > 6 && s.rng.chance(pod.skipRate ?? 0.1)
    ? t0 + Math.round(s.rng.uniform(5, len * 0.9) * 1000)
    : Infinity;
  const stopAt = Math.min(skipAt, leaveAt);
  for (let q = 1; q <= 3; q++) {
    const at = t0 + Math.round(len * 250 * q);
    if (at >= stopAt) break;
    if (s.on("ad_quartile", at)) yield ad + ',"quartile":' + q;
  }
  if (stopAt < t0 + len * 1000) {
    s.t = Math.max(t0 + 200, stopAt);
    const type = stopAt === leaveAt ? "ad_abandon" : "ad_skip";
    if (s.on(type, s.t)) {
      yield ad + ',"watchedSec":' + round1((s.t - t0) / 1000);
    }
    return type === "ad_abandon" ? "abandon" : "skip";
  }
  s.t = t0 + len * 1000;
  if (s.on("ad_complete", s.t)) yield ad + ',"watchedSec":' + len;
  return "complete";
}

/**
 * An ad break, linear or VoD: ad_break_start, each spot with its quartiles
 * and a completion or (skippable spots, after 5 s) a skip, ad_break_end
 * (docs/realism.md 1.5).
 *
 * @module
 */
import { type EventFields, round1, type SessionState } from "./session.ts";
import { flat, quote } from "./text.ts";

/** Yields one break of spots `lengths` (seconds) from the current time. */
export function* adPod(
  s: SessionState,
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
  if (s.on("ad_break_start", s.t)) {
    yield tag + ',"adPosition":"' + adPosition + '","podLength":' +
      lengths.length + ',"plannedDurationSec":' + planned;
  }
  let completed = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (yield* spot(s, tag, lengths[i]!, i + 1, skippable)) completed++;
  }
  if (s.on("ad_break_end", s.t)) {
    yield tag + ',"adsPlayed":' + lengths.length + ',"adsCompleted":' +
      completed;
  }
}

/** One spot of `len` seconds; returns whether it was watched to the end. */
function* spot(
  s: SessionState,
  tag: string,
  len: number,
  podPosition: number,
  skippable: boolean,
): Generator<EventFields, boolean> {
  const adNumber = s.rng.int(4000);
  const adId = `AD_${String(adNumber).padStart(4, "0")}`;
  const t0 = s.t;
  const ad = flat(tag + ',"adId":"' + adId + '"');
  if (s.on("ad_start", t0)) {
    yield ad + ',"advertiser":' +
      quote(s.advertisers[adNumber % s.advertisers.length] ?? "unknown") +
      ',"adDurationSec":' + len + ',"podPosition":' + podPosition +
      ',"skippable":' + skippable;
  }
  // CTV ad completion ~96% (realism 1.5); skips only after 5 s.
  const skipAt = skippable && s.rng.chance(0.25)
    ? s.rng.uniform(5, len * 0.9)
    : undefined;
  for (let q = 1; q <= 3; q++) {
    const at = t0 + Math.round(len * 250 * q);
    if (skipAt !== undefined && at >= t0 + skipAt * 1000) break;
    if (s.on("ad_quartile", at)) yield ad + ',"quartile":' + q;
  }
  if (skipAt !== undefined) {
    s.t = t0 + Math.round(skipAt * 1000);
    if (s.on("ad_skip", s.t)) {
      yield ad + ',"watchedSec":' + round1((s.t - t0) / 1000);
    }
    return false;
  }
  s.t = t0 + len * 1000;
  if (s.on("ad_complete", s.t)) yield ad + ',"watchedSec":' + len;
  return true;
}

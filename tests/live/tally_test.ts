/** The live view's audience tally, on hand-made sequences and a generated stream. */
import assert from "node:assert/strict";
import { AudienceTally } from "../../src/live/tally.ts";
import { events } from "../_helpers.ts";

const T0 = Date.parse("2026-11-02T20:00:00Z");

/** An event of `type` on device `tv` at T0 + `sec`. */
function ev(
  type: string,
  tv: string,
  sec: number,
  fields: Record<string, unknown> = {},
): [Record<string, unknown>, number] {
  return [{
    event: type,
    tvId: tv,
    serviceId: "Pickx",
    deviceType: "STB",
    regionCode: "VLG",
    playbackSessionId: `P_${tv}`,
    ...fields,
  }, T0 + sec * 1000];
}

function feed(tally: AudienceTally, list: [Record<string, unknown>, number][]) {
  for (const [e, t] of list) tally.observe(e, t);
}

Deno.test("tally: viewers per channel follow tunes, ends and app ends", () => {
  const tally = new AudienceTally();
  feed(tally, [
    ev("channel_start", "TV_1", 0, { channelId: "VRT1" }),
    ev("channel_start", "TV_2", 1, { channelId: "VRT1", regionCode: "WAL" }),
    ev("channel_start", "TV_3", 2, { channelId: "VTM" }),
    ev("playback_start", "TV_4", 3, {
      serviceId: "Netflix",
      deviceType: "Mobile",
    }),
    // TV_1 zaps to VTM: a new session replaces the old one.
    ev("channel_end", "TV_1", 5, { channelId: "VRT1" }),
    ev("channel_start", "TV_1", 5, {
      channelId: "VTM",
      playbackSessionId: "P_TV_1b",
    }),
    // A late end of an older session leaves the newer tune alone.
    ev("channel_end", "TV_1", 6, { playbackSessionId: "P_old" }),
    ev("app_end", "TV_3", 7),
  ]);
  const f = tally.figures();
  assert.deepEqual(f.viewers, { VRT1: 1, VTM: 1 });
  assert.deepEqual(f.byService, { Pickx: 2, Netflix: 1 });
  assert.deepEqual(f.byDevice, { STB: 2, Mobile: 1 });
  assert.deepEqual(f.byRegion, { VLG: 2, WAL: 1 });
  assert.deepEqual(f.asOf, T0 + 7000);
});

Deno.test("tally: a device silent for over two minutes of event time stops counting; heartbeats keep it", () => {
  const tally = new AudienceTally();
  feed(tally, [
    ev("channel_start", "TV_1", 0, { channelId: "VRT1" }),
    ev("channel_start", "TV_2", 0, { channelId: "VTM" }),
    ev("heartbeat", "TV_2", 100),
    ev("heartbeat", "TV_2", 200),
  ]);
  assert.deepEqual(tally.figures().viewers, { VTM: 1 });
});

Deno.test("tally: quality over the last five minutes of event time", () => {
  const tally = new AudienceTally();
  const startups = [1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000, 7000, 9000];
  const list: [Record<string, unknown>, number][] = [];
  // An old play, more than five minutes before the rest: left out.
  list.push(ev("playback_start", "TV_0", 0));
  list.push(ev("playback_end", "TV_0", 1, { endReason: "error" }));
  startups.forEach((ms, i) => {
    const tv = `TV_${i + 1}`;
    list.push(ev("playback_start", tv, 400 + i));
    list.push(ev("playback_first_frame", tv, 402 + i, { startupTimeMs: ms }));
    list.push(ev("playback_end", tv, 500 + i, {
      endReason: "completed",
      startupTimeMs: ms,
      playTimeSec: 99,
      rebufferTimeSec: 1,
    }));
  });
  list.push(ev("playback_start", "TV_20", 510));
  list.push(ev("playback_end", "TV_20", 512, { endReason: "error" }));
  list.push(ev("playback_start", "TV_21", 511));
  list.push(ev("playback_end", "TV_21", 515, { endReason: "ebvs" }));
  // Left during the pre-roll: an ad figure, not an exit before video start.
  list.push(ev("playback_start", "TV_22", 511));
  list.push(ev("ad_abandon", "TV_22", 514));
  list.push(ev("playback_end", "TV_22", 514, { endReason: "ebvs" }));
  feed(tally, list);
  const q = tally.figures().quality;
  assert.deepEqual(q.attempts, 13);
  assert.deepEqual(q.failures, 1);
  assert.deepEqual(q.exits, 1);
  assert.deepEqual(q.playSec, 990);
  assert.deepEqual(q.rebufferSec, 10);
  assert.deepEqual(q.startups, 10);
  // Bins grow by 15%: the median (5th of 10, 2.5 s) and p90 (9th, 7 s)
  // come back as their bin's upper edge, within 15% above.
  const within = (got: number | null, want: number) =>
    got !== null && got >= want && got <= want * 1.15;
  assert.deepEqual(within(q.startupP50Ms, 2500), true, `p50 ${q.startupP50Ms}`);
  assert.deepEqual(within(q.startupP90Ms, 7000), true, `p90 ${q.startupP90Ms}`);
});

Deno.test("tally: ad minutes count each linear break once, over the last hour", () => {
  const tally = new AudienceTally();
  const brk = (tv: string, sec: number, id: string, channelId: string) =>
    ev("ad_break_start", tv, sec, {
      adPosition: "linear",
      adBreakId: id,
      channelId,
      plannedDurationSec: 180,
    });
  feed(tally, [
    brk("TV_1", 0, "AB_VTM_1", "VTM"),
    // Many viewers see the same break: counted once.
    brk("TV_2", 1, "AB_VTM_1", "VTM"),
    brk("TV_3", 1, "AB_VTM_1", "VTM"),
    brk("TV_1", 1200, "AB_VTM_2", "VTM"),
    brk("TV_4", 1300, "AB_PLAY4_1", "PLAY4"),
    // A VoD pre-roll is not linear advertising.
    ev("ad_break_start", "TV_5", 1400, {
      adPosition: "pre",
      adBreakId: "AB_x_pre",
      plannedDurationSec: 30,
    }),
  ]);
  assert.deepEqual(tally.figures().adMinutesPerHour, { VTM: 6, PLAY4: 3 });
  // An hour later the first break has left the window.
  tally.observe({ event: "heartbeat", tvId: "TV_9" }, T0 + 3_650_000);
  assert.deepEqual(tally.figures().adMinutesPerHour, { VTM: 3, PLAY4: 3 });
});

Deno.test("tally: on a generated stream, the five-minute counts equal a plain count of the same events", () => {
  const list = events(60_000, { households: 400, seed: 3 });
  const tally = new AudienceTally();
  for (const e of list) tally.observe(e, Date.parse(e.timestamp));
  const f = tally.figures();
  // Independently: the window is the 30 ten-second slots ending with the
  // newest event's slot.
  const last = Math.floor(f.asOf / 10_000);
  const inWindow = list.filter((e) => {
    const slot = Math.floor(Date.parse(e.timestamp) / 10_000);
    return slot > last - 30 && slot <= last;
  });
  const leftInAd = new Set(
    list.filter((e) => e.event === "ad_abandon").map((e) =>
      e.playbackSessionId as string
    ),
  );
  const count = (pred: (e: Record<string, unknown>) => boolean) =>
    inWindow.filter(pred).length;
  assert.deepEqual(
    f.quality.attempts,
    count((e) => e.event === "playback_start"),
  );
  assert.deepEqual(
    f.quality.startups,
    count((e) => e.event === "playback_first_frame"),
  );
  assert.deepEqual(
    f.quality.exits,
    count((e) =>
      e.event === "playback_end" && e.endReason === "ebvs" &&
      e.startupTimeMs === undefined &&
      !leftInAd.has(e.playbackSessionId as string)
    ),
  );
  const viewers = Object.values(f.viewers).reduce((a, b) => a + b, 0);
  const devices = new Set(list.map((e) => e.tvId)).size;
  assert.deepEqual(
    viewers > 0 && viewers <= devices,
    true,
    `viewers ${viewers}`,
  );
});

Deno.test("tally: events taken as text (the generator's path) give the figures parsed events give", () => {
  const list = events(40_000, { households: 300, seed: 11 });
  const parsed = new AudienceTally();
  const text = new AudienceTally();
  for (const e of list) {
    const t = Date.parse(e.timestamp);
    parsed.observe(e, t);
    text.observeText(e.event, e.tvId as string, t, JSON.stringify(e));
  }
  const figures = parsed.figures();
  assert.ok(Object.keys(figures.viewers).length > 0);
  assert.deepEqual(text.figures(), figures);
});

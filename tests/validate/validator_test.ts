/**
 * The validator catches broken data: each test breaks a clean stream in one
 * way and asserts the matching rule fires (and a clean stream passes).
 */
import assert from "node:assert/strict";
import {
  createValidator,
  IdSet,
  type Rule,
} from "../../src/validate/validator.ts";
import type { TelemetryEvent } from "../../src/model/event.ts";
import { events } from "../_helpers.ts";

const CLEAN = events(60_000, { households: 150, from: "2026-11-04T17:00:00Z" });

function check(stream: unknown[]) {
  const v = createValidator();
  for (const e of stream) v.feed(e);
  return v.report();
}

function copy(): TelemetryEvent[] {
  return CLEAN.map((e) => ({ ...e }));
}

/** Index of the k-th event matching `pred` on a device whose app_start is in the stream. */
function first(
  list: TelemetryEvent[],
  pred: (e: TelemetryEvent) => boolean,
  k = 0,
): number {
  let seen = 0;
  const started = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (e.event === "app_start") started.add(e.tvId as string);
    if (started.has(e.tvId as string) && pred(e) && seen++ === k) return i;
  }
  throw new Error("no such event");
}

/** Index of the k-th event of a type on a device whose app_start is in the stream. */
function nth(list: TelemetryEvent[], type: string, k = 3): number {
  return first(list, (e) => e.event === type, k);
}

Deno.test("validator finds no violation in a clean stream", () => {
  const r = check(CLEAN);
  for (const [rule, v] of Object.entries(r.violations)) {
    assert.equal(v.count, 0, `${rule}: ${v.examples.join("\n")}`);
  }
});

const MUTATIONS: [Rule, string, (s: TelemetryEvent[]) => unknown[]][] = [
  ["schema", "a string where a number belongs", (s) => {
    const i = nth(s, "heartbeat");
    s[i] = { ...s[i]!, positionSec: "12" as unknown as number };
    return s;
  }],
  ["unique_id", "a repeated eventId", (s) => {
    s[nth(s, "heartbeat", 8)]!.eventId = s[nth(s, "heartbeat", 7)]!.eventId;
    return s;
  }],
  ["app_bounds", "an event after app_end", (s) => {
    const i = nth(s, "app_end", 2);
    const late = {
      ...s[i]!,
      event: "app_start",
      eventId: crypto.randomUUID(),
      launchType: "cold",
      coldStartMs: 100,
      householdSize: 2,
      tvCount: 1,
      ipAddress: "94.224.1.2",
      deviceModel: "LG OLED55C3",
      osVersion: "23",
      userAgent: "VRTMAX/1.0",
    };
    delete (late as Record<string, unknown>)["endReason"];
    delete (late as Record<string, unknown>)["appSessionDurationSec"];
    const dup = { ...late, eventId: crypto.randomUUID() };
    s.splice(i + 1, 0, late as TelemetryEvent, dup as TelemetryEvent);
    return s;
  }],
  ["single_playback", "a second channel_start while tuned", (s) => {
    const i = nth(s, "channel_start", 5);
    const j = s.findIndex((e, k) =>
      k > i && e.tvId === s[i]!.tvId && e.event === "heartbeat"
    );
    s.splice(j + 1, 0, {
      ...s[i]!,
      eventId: crypto.randomUUID(),
      timestamp: s[j]!.timestamp,
      playbackSessionId: "other",
    });
    return s;
  }],
  ["watch_duration", "a wrong watchDurationSec", (s) => {
    const i = nth(s, "channel_end", 10);
    s[i]!.watchDurationSec = (s[i]!.watchDurationSec as number) + 30;
    return s;
  }],
  ["first_frame", "a wrong startupTimeMs", (s) => {
    const i = nth(s, "playback_first_frame", 2);
    s[i]!.startupTimeMs = (s[i]!.startupTimeMs as number) + 500;
    return s;
  }],
  ["pairing", "a resume without a pause", (s) => {
    const i = nth(s, "pause", 1);
    s.splice(i, 1);
    return s;
  }],
  ["heartbeat", "a missing heartbeat", (s) => {
    const i = nth(s, "heartbeat", 200);
    const next = s.findIndex((e, k) =>
      k > i && e.playbackSessionId === s[i]!.playbackSessionId
    );
    if (s[next]?.event !== "heartbeat") {
      throw new Error("pick another heartbeat");
    }
    s.splice(i, 1);
    return s;
  }],
  ["playhead", "a playhead that jumps", (s) => {
    const i = nth(s, "heartbeat", 300);
    const j = s.findIndex((e, k) =>
      k > i && e.playbackSessionId === s[i]!.playbackSessionId &&
      e.event === "heartbeat"
    );
    s[j]!.positionSec = (s[j]!.positionSec as number) + 40;
    return s;
  }],
  ["end_reason", "completed at half the duration", (s) => {
    let i = nth(s, "playback_end", 0);
    for (let k = 1; s[i]!.endReason !== "user_exit"; k++) {
      i = nth(s, "playback_end", k);
    }
    s[i]!.endReason = "completed";
    s[i]!.positionSec = 1;
    return s;
  }],
  ["ads", "a quartile out of order", (s) => {
    const i = nth(s, "ad_quartile", 4);
    s[i]!.quartile = s[i]!.quartile === 3 ? 1 : 3;
    return s;
  }],
  ["epg", "a programId that is not airing", (s) => {
    s[nth(s, "channel_start", 4)]!.programId = "VTM-20200101-0000";
    return s;
  }],
  ["ad_free", "an ad on VRT 1", (s) => {
    let i = nth(s, "ad_break_start", 0);
    for (let k = 1; s[i]!.channelId === undefined; k++) {
      i = nth(s, "ad_break_start", k);
    }
    const sid = s[i]!.playbackSessionId;
    for (let k = 0; k < s.length; k++) {
      if (s[k]!.playbackSessionId === sid && s[k]!.channelId !== undefined) {
        s[k]!.channelId = "VRT1";
      }
    }
    return s;
  }],
  ["geography", "a city in the wrong region", (s) => {
    s[nth(s, "heartbeat", 50)]!.region = "Charleroi";
    s[nth(s, "heartbeat", 50)]!.regionCode = "VLG";
    return s;
  }],
  ["household", "more users than members", (s) => {
    const starts = s.filter((e) =>
      e.event === "app_start" && e.householdSize === 1
    );
    const hh = starts[0]!.householdId;
    let n = 0;
    for (const e of s) {
      if (e.householdId === hh) {
        e.userId = `U_99${String(n++).padStart(5, "0")}`;
      }
    }
    return s;
  }],
  ["ladder", "a bitrate off the ladder", (s) => {
    s[nth(s, "heartbeat", 20)]!.bitrateKbps = 1234;
    return s;
  }],
  ["lineup", "a VTM tune in VRT MAX", (s) => {
    const i = first(
      s,
      (e) => e.event === "channel_start" && e.serviceId === "VRT MAX",
    );
    s[i]!.channelId = "VTM";
    return s;
  }],
  ["lineup", "a regional channel outside its province", (s) => {
    const i = first(
      s,
      (e) =>
        e.event === "channel_start" && e.region !== "Antwerp" &&
        e.isp === "Telenet",
    );
    s[i]!.channelId = "ATV";
    return s;
  }],
  ["lineup", "a set-top box of another operator", (s) => {
    const i = first(
      s,
      (e) => e.event === "channel_start" && e.os === "Telenet TV-box",
    );
    s[i]!.os = "Proximus Pickx box";
    return s;
  }],
  ["lineup", "power_on on a phone", (s) => {
    const i = first(
      s,
      (e) => e.event === "channel_start" && e.deviceType === "Mobile",
    );
    s[i]!.tuneMethod = "power_on";
    return s;
  }],
  ["catalogue", "a Netflix title in VTM GO", (s) => {
    const i = first(
      s,
      (e) => e.event === "playback_start" && e.serviceId === "VTM GO",
    );
    s[i]!.contentId = "NFLX_00001";
    return s;
  }],
  ["catalogue", "Netflix on a Telenet CDN", (s) => {
    const i = first(
      s,
      (e) => e.event === "playback_start" && e.serviceId === "Netflix",
    );
    s[i]!.cdn = "Telenet CDN";
    return s;
  }],
  ["epg", "a program still named after the next one began", (s) => {
    const i = first(s, (e) =>
      e.event === "channel_end" &&
      s.some((o) =>
        o.channelId === e.channelId && o.programId !== undefined &&
        (o.programId as string) < (e.programId as string)
      ));
    const e = s[i]!;
    const older = s.find((o) =>
      o.channelId === e.channelId && o.programId !== undefined &&
      (o.programId as string) < (e.programId as string)
    )!;
    e.programId = older.programId;
    return s;
  }],
  ["ads", "one creative with two lengths", (s) => {
    const i = nth(s, "ad_start", 3);
    for (let k = i + 1; k < s.length; k++) {
      const e = s[k]!;
      if (e.event === "ad_start" && e.adId !== s[i]!.adId) {
        e.adId = s[i]!.adId;
        e.adDurationSec = (s[i]!.adDurationSec as number) + 5;
      }
    }
    return s;
  }],
  ["ads", "two viewers of one linear break see different pods", (s) => {
    const seen = new Set<string>();
    for (const e of s) {
      if (e.event !== "ad_break_start" || e.adPosition !== "linear") continue;
      const id = e.adBreakId as string;
      if (seen.has(id)) {
        e.plannedDurationSec = (e.plannedDurationSec as number) + 15;
      }
      seen.add(id);
    }
    return s;
  }],
  ["ad_free", "a linear break during the news", (s) => {
    const i = first(
      s,
      (e) => e.event === "ad_break_start" && e.adPosition === "linear",
    );
    s[i]!.programGenre = "news";
    return s;
  }],
  ["watch_duration", "a surf of a minute", (s) => {
    const i = first(
      s,
      (e) => e.event === "channel_end" && (e.watchDurationSec as number) > 60,
    );
    s[i]!.isSurf = true;
    return s;
  }],
  ["geography", "a postal code of another city", (s) => {
    const i = first(s, (e) => e.region === "Ghent");
    s[i]!.postalCode = "1000";
    return s;
  }],
  ["geography", "an ISP that does not serve the region", (s) => {
    const i = first(s, (e) => e.regionCode === "WAL");
    s[i]!.isp = "Telenet";
    return s;
  }],
];

for (const [rule, what, mutate] of MUTATIONS) {
  Deno.test(`validator flags ${rule}: ${what}`, () => {
    const r = check(mutate(copy()));
    assert.ok(r.violations[rule].count > 0, `${rule} not flagged`);
    assert.equal(r.ok, false);
  });
}

Deno.test("validator KPIs fall out of range when the data is unrealistic", () => {
  // Every VoD play fails to start: start failures far above 3%.
  const s = copy().filter((e) =>
    e.contentId === undefined || e.event === "playback_start" ||
    e.event === "playback_end"
  );
  for (const e of s) {
    if (e.event === "playback_end") {
      e.endReason = "error";
      delete (e as Record<string, unknown>)["startupTimeMs"];
    }
  }
  const kpi = check(s).kpis.find((k) => k.name === "video_start_failures")!;
  assert.ok(kpi.value! > 0.5);
  assert.equal(kpi.ok, false);
});

const KPI_BREAKS: [string, (s: TelemetryEvent[]) => TelemetryEvent[]][] = [
  ["timestamps_on_whole_second", (s) => {
    for (const e of s) e.timestamp = e.timestamp.slice(0, 19) + ".000Z";
    return s;
  }],
  ["error_codes", (s) => {
    for (const e of s) if (e.event === "error") e.errorCode = "E-1";
    return s;
  }],
  ["buffering_not_network", (s) => {
    for (const e of s) if (e.cause !== undefined) e.cause = "network";
    return s;
  }],
  ["pre_roll_exits", (s) => s.filter((e) => e.event !== "ad_abandon")],
  ["heartbeats_exactly_10s", (s) => {
    const last = new Map<string, number>();
    for (const e of s) {
      if (e.event !== "heartbeat") continue;
      const id = e.playbackSessionId as string;
      const prev = last.get(id);
      const t = prev === undefined ? Date.parse(e.timestamp) : prev + 10_000;
      e.timestamp = new Date(t).toISOString();
      last.set(id, t);
    }
    return s;
  }],
];

for (const [name, mutate] of KPI_BREAKS) {
  Deno.test(`validator KPI ${name} goes out of range on a machine-made stream`, () => {
    const before = check(copy()).kpis.find((k) => k.name === name)!;
    assert.ok(before.ok, `${name} = ${before.value} on the clean stream`);
    const after = check(mutate(copy())).kpis.find((k) => k.name === name)!;
    assert.equal(after.ok, false, `${name} = ${after.value}`);
  });
}

Deno.test("a 7-day backfill validates with zero violations and every KPI in range", async () => {
  const { createSimulator } = await import("../../src/model/simulator.ts");
  const { advertiserNames } = await import("../../src/model/faker.ts");
  const start = Date.parse("2026-11-02T00:00:00Z");
  const sim = createSimulator({
    seed: 42,
    households: 120,
    startMs: start,
    endMs: start + 7 * 86_400_000,
    advertisers: advertiserNames(),
  });
  const v = createValidator();
  let e;
  while ((e = sim.next())) v.feed(e);
  const r = v.report();
  assert.ok(r.events > 500_000, String(r.events));
  for (const [rule, x] of Object.entries(r.violations)) {
    assert.equal(x.count, 0, `${rule}: ${x.examples[0]}`);
  }
  for (const k of r.kpis) {
    assert.ok(k.ok, `${k.name} = ${k.value} not in [${k.min}, ${k.max}]`);
  }
});

Deno.test("IdSet holds exactly the ids a Set would, through growth", () => {
  const ids = new IdSet();
  const reference = new Set<number>();
  let s = 7;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  for (let i = 0; i < 300_000; i++) {
    // 52-bit keys like idKey's, with repeats, 0 and the largest included.
    const key = i === 0
      ? 0
      : i === 1
      ? 2 ** 52 - 1
      : (next() % 4096) * 2 ** 32 + next();
    assert.equal(ids.has(key), reference.has(key));
    ids.add(key);
    reference.add(key);
  }
  assert.equal(ids.size, reference.size);
  for (const key of reference) assert.ok(ids.has(key));
  for (let i = 0; i < 10_000; i++) {
    const key = 2 ** 52 + i;
    assert.equal(ids.has(key), false);
  }
});

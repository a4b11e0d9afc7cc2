/**
 * The validator: checks a stream of events against the coherence rules the
 * model claims (docs/realism.md 3.5) and measures the KPIs it targets (section 1).
 *
 * Streaming and bounded: state is kept per device with an open app session
 * and per open playback, and dropped when they end. Events must arrive in
 * time order per device (the warehouse and Kafka keys guarantee it).
 *
 * @module
 */
import {
  adBreaksInHour,
  CHANNEL_BY_ID,
  CITY_BY_NAME,
  LADDER_KBPS,
  programAt,
  SERVICE_BY_ID,
} from "../model/catalog.ts";
import { eventProblem } from "../model/event.ts";
import { brusselsHour, HOUR_MS } from "../model/time.ts";

/** A coherence rule and what it checks. */
export const RULES = {
  schema: "every event matches the JSON Schema of its type",
  unique_id: "eventId is unique",
  app_bounds:
    "1: events of a device lie inside app_start..app_end; sessions do not overlap; time never goes back",
  single_playback: "2: at most one tune or play at a time per device",
  watch_duration: "3: channel_end.watchDurationSec = end - start (+-1 s)",
  first_frame:
    "4: one first frame per play, after playback_start and any pre-roll; startupTimeMs matches, in [100 ms, 60 s]",
  pairing:
    "5: pause/resume, buffer, seek, ad break and ad pairs open and close in order, never nested",
  heartbeat:
    "6: heartbeats only while playing, 10 s +-1 after the last one or after play (re)starts; none missing",
  playhead:
    "7: position never exceeds the duration, advances with play time (+-2 s), equals the seek target",
  end_reason:
    "8: completed => position >= 95%; ebvs => no first frame; error => a fatal error <= 1 s before",
  ads:
    "9: pre-rolls before the first frame; quartiles in order and on time; skips only when skippable after 5 s; <= 12 ad minutes per channel hour",
  epg: "12: programId is the EPG program airing on the channel",
  ad_free:
    "13: no ads on VRT, premium or ad-free channels and services, none around news",
  geography: "15: the city belongs to the region code; a household stays put",
  household:
    "16: <= 8 devices and <= size users per household; concurrent plays <= size + 1",
  ladder: "17: bitrates are rungs of the ladder",
} as const;

/** A rule name. */
export type Rule = keyof typeof RULES;

/** One KPI, its measured value and its target range. */
export interface Kpi {
  name: string;
  value: number | null;
  min: number;
  max: number;
  unit: string;
  source: string;
  ok: boolean;
}

/** The validator's verdict. */
export interface ValidationReport {
  events: number;
  violations: Record<Rule, { count: number; examples: string[] }>;
  kpis: Kpi[];
  ok: boolean;
}

interface Play {
  id: string;
  live: boolean;
  start: number;
  anchor: number;
  state: "starting" | "playing" | "paused" | "buffering" | "seeking" | "ad";
  firstFrame: boolean;
  preEnd: number;
  durationSec?: number;
  channelId?: string;
  adFreeService: boolean;
  lastHbPos?: number;
  lastHbT?: number;
  stallMs: number;
  seekSinceHb: boolean;
  position?: number;
  seekTo?: number;
  lastFatal?: number;
  adOpen?: {
    adId: string;
    start: number;
    duration: number;
    q: number;
    skippable: boolean;
  };
  adBreak?: string;
  adBreakStart: number;
  pauseStart: number;
  bufferStart: number;
}

interface DeviceState {
  lastT: number;
  open: boolean;
  sessionStart: number;
  play?: Play;
  householdId: string;
}

interface HouseholdState {
  region: string;
  devices: Set<string>;
  users: Set<string>;
  size?: number;
  tvCount?: number;
  active: number;
}

const EXAMPLES = 3;
const TV_LIKE = new Set(["STB", "SmartTV", "CTVStick", "Console"]);

/** Creates a streaming validator. */
export function createValidator(): {
  feed(event: unknown): void;
  report(): ValidationReport;
} {
  const violations = Object.fromEntries(
    Object.keys(RULES).map((r) => [r, { count: 0, examples: [] as string[] }]),
  ) as Record<Rule, { count: number; examples: string[] }>;
  const devices = new Map<string, DeviceState>();
  const households = new Map<string, HouseholdState>();
  const ids = new IdSet();
  let events = 0;

  // KPI accumulators.
  const hourSeconds = new Float64Array(24);
  const channelSecVlg = new Map<string, number>();
  let tunes = 0, surfs = 0;
  const playMinutes = new Uint32Array(24 * 60 + 1);
  let playStarts = 0, vsf = 0, ebvs = 0, ffPlays = 0, completed = 0;
  let playSec = 0, rebufferSec = 0;
  const breaksByChannelHour = new Map<string, Map<string, number>>();

  const flag = (rule: Rule, event: Record<string, unknown>, why: string) => {
    const v = violations[rule];
    v.count++;
    if (v.examples.length < EXAMPLES) {
      v.examples.push(`${why}: ${JSON.stringify(event).slice(0, 400)}`);
    }
  };

  function feed(value: unknown): void {
    events++;
    const problem = eventProblem(value);
    const e = value as Record<string, unknown>;
    if (problem !== undefined) {
      flag(
        "schema",
        typeof value === "object" && value ? e : { value },
        problem,
      );
      return;
    }
    const type = e["event"] as string;
    const t = Date.parse(e["timestamp"] as string);
    const idHash = idKey(e["eventId"] as string);
    if (ids.has(idHash)) flag("unique_id", e, "eventId seen before");
    else ids.add(idHash);

    // Geography and household.
    const city = CITY_BY_NAME.get(e["region"] as string);
    if (!city || city.regionCode !== e["regionCode"]) {
      flag("geography", e, "city not in its region code");
    }
    const hhId = e["householdId"] as string;
    let hh = households.get(hhId);
    if (!hh) {
      hh = {
        region: e["region"] as string,
        devices: new Set(),
        users: new Set(),
        active: 0,
      };
      households.set(hhId, hh);
    } else if (hh.region !== e["region"]) {
      flag("geography", e, "household moved city");
    }
    hh.devices.add(e["tvId"] as string);
    hh.users.add(e["userId"] as string);
    if (hh.devices.size > 8) flag("household", e, "more than 8 devices");
    if (type === "app_start") {
      hh.size = e["householdSize"] as number;
      hh.tvCount = e["tvCount"] as number;
    }
    if (hh.size !== undefined && hh.users.size > hh.size) {
      flag("household", e, "more users than household members");
    }
    for (const f of ["bitrateKbps", "fromKbps", "toKbps"]) {
      if (f in e && !LADDER_KBPS.has(e[f] as number)) {
        flag("ladder", e, `${f} not a ladder rung`);
      }
    }

    const tvId = e["tvId"] as string;
    let d = devices.get(tvId);
    if (d && t < d.lastT) {
      flag("app_bounds", e, "time went back on this device");
    }
    if (type === "heartbeat") {
      hourSeconds[brusselsHour(t)]! += 10;
    }
    if (!d) {
      if (type !== "app_start") {
        // Joined mid-session (window start): check from the next app_start.
        return;
      }
      d = { lastT: t, open: false, sessionStart: t, householdId: hhId };
      devices.set(tvId, d);
    }
    d.lastT = Math.max(d.lastT, t);
    if (type === "app_start") {
      if (d.open) flag("app_bounds", e, "app sessions overlap");
      d.open = true;
      d.sessionStart = t;
      if (d.play) closePlay(d, hh);
      return;
    }
    if (!d.open) {
      flag("app_bounds", e, "event outside an app session");
      return;
    }
    if (type === "app_end") {
      if (d.play) {
        flag("single_playback", e, "app ended with a play still open");
      }
      if (d.play) closePlay(d, hh);
      d.open = false;
      devices.delete(tvId);
      return;
    }
    if (type === "channel_start" || type === "playback_start") {
      if (d.play) {
        flag("single_playback", e, "a new tune or play while one is open");
        closePlay(d, hh);
      }
      const live = type === "channel_start";
      const svc = SERVICE_BY_ID.get(e["serviceId"] as string);
      d.play = {
        id: e["playbackSessionId"] as string,
        live,
        start: t,
        anchor: t,
        state: live ? "playing" : "starting",
        firstFrame: live,
        preEnd: t,
        ...(live
          ? { channelId: e["channelId"] as string }
          : { durationSec: e["durationSec"] as number }),
        adFreeService: !live && svc !== undefined && !svc.ads,
        stallMs: 0,
        seekSinceHb: false,
        position: live ? 0 : e["startPositionSec"] as number,
        adBreakStart: 0,
        pauseStart: 0,
        bufferStart: 0,
      };
      hh.active++;
      if (hh.size !== undefined && hh.active > hh.size + 1) {
        flag("household", e, "more concurrent plays than members + 1");
      }
      if (live) {
        tunes++;
        if (
          programAt(e["channelId"] as string, t).programId !== e["programId"]
        ) {
          flag("epg", e, "programId is not the program airing");
        }
      } else playStarts++;
      return;
    }
    const p = d.play;
    if (!p || p.id !== e["playbackSessionId"]) {
      flag("single_playback", e, "event of a play that is not open");
      return;
    }
    // Missing heartbeats: in PLAYING nothing may come later than anchor + 11 s.
    if (p.state === "playing" && t - p.anchor > 11_000) {
      flag(
        "heartbeat",
        e,
        `no heartbeat for ${
          ((t - p.anchor) / 1000).toFixed(1)
        } s while playing`,
      );
    }
    if (type.startsWith("ad_")) checkAdFree(e, p, t);
    switch (type) {
      case "playback_first_frame": {
        if (p.firstFrame) flag("first_frame", e, "second first frame");
        p.firstFrame = true;
        const startup = e["startupTimeMs"] as number;
        if (Math.abs(t - p.preEnd - startup) > 1) {
          flag("first_frame", e, "startupTimeMs != first frame - start");
        }
        if (startup < 100 || startup > 60_000) {
          flag("first_frame", e, "startupTimeMs out of [100, 60000]");
        }
        p.state = "playing";
        p.anchor = t;
        break;
      }
      case "heartbeat": {
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
        break;
      }
      case "pause":
        if (p.state !== "playing") flag("pairing", e, `pause while ${p.state}`);
        p.state = "paused";
        p.pauseStart = t;
        break;
      case "resume":
        if (p.state !== "paused") flag("pairing", e, `resume while ${p.state}`);
        p.stallMs += t - p.pauseStart;
        p.state = "playing";
        p.anchor = t;
        break;
      case "buffer_start":
        if (p.state !== "playing") {
          flag("pairing", e, `buffer_start while ${p.state}`);
        }
        p.state = "buffering";
        p.bufferStart = t;
        break;
      case "buffer_end":
        if (p.state !== "buffering") {
          flag("pairing", e, `buffer_end while ${p.state}`);
        }
        p.stallMs += t - p.bufferStart;
        p.state = "playing";
        p.anchor = t;
        break;
      case "seek_start":
        if (p.state !== "playing") {
          flag("pairing", e, `seek_start while ${p.state}`);
        }
        p.state = "seeking";
        p.seekTo = e["toSec"] as number;
        break;
      case "seek_end":
        if (p.state !== "seeking") {
          flag("pairing", e, `seek_end while ${p.state}`);
        }
        if (
          p.seekTo !== undefined &&
          Math.abs((e["positionSec"] as number) - p.seekTo) > 0.05
        ) {
          flag("playhead", e, "position after seek is not the target");
        }
        p.seekSinceHb = true;
        p.state = "playing";
        p.anchor = t;
        break;
      case "bitrate_change":
      case "error":
        if (type === "error" && e["severity"] === "fatal") p.lastFatal = t;
        break;
      case "ad_break_start": {
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
          let m = breaksByChannelHour.get(key);
          if (!m) breaksByChannelHour.set(key, m = new Map());
          m.set(p.adBreak, e["plannedDurationSec"] as number);
          const sched = adBreaksInHour(p.channelId!, t).find((b) =>
            b.adBreakId === p.adBreak
          );
          if (!sched) {
            flag("ads", e, "linear break not in the channel's schedule");
          }
        }
        p.state = p.state === "starting" ? "starting" : "ad";
        break;
      }
      case "ad_start":
        if (p.adBreak === undefined) flag("pairing", e, "ad outside a break");
        if (p.adOpen) flag("pairing", e, "ad inside an ad");
        p.adOpen = {
          adId: e["adId"] as string,
          start: t,
          duration: e["adDurationSec"] as number,
          q: 0,
          skippable: e["skippable"] as boolean,
        };
        break;
      case "ad_quartile": {
        const a = p.adOpen;
        const q = e["quartile"] as number;
        if (!a) flag("pairing", e, "quartile outside an ad");
        else {
          if (q !== a.q + 1) flag("ads", e, "quartiles out of order");
          if (Math.abs(t - a.start - a.duration * 250 * q) > 1000) {
            flag("ads", e, "quartile not at its time");
          }
          a.q = q;
        }
        break;
      }
      case "ad_complete":
      case "ad_skip": {
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
        break;
      }
      case "ad_break_end":
        if (p.adBreak === undefined) {
          flag("pairing", e, "ad_break_end without a break");
        }
        if (p.adOpen) flag("pairing", e, "ad_break_end with an ad open");
        p.adBreak = undefined;
        if (p.state === "starting") p.preEnd = t;
        else {
          if (!p.live) p.stallMs += t - p.adBreakStart;
          p.state = "playing";
          p.anchor = t;
        }
        break;
      case "channel_end": {
        const dur = e["watchDurationSec"] as number;
        if (Math.abs(dur - (t - p.start) / 1000) > 1) {
          flag(
            "watch_duration",
            e,
            `watchDurationSec ${dur} != ${((t - p.start) / 1000).toFixed(1)}`,
          );
        }
        if (programAt(p.channelId!, t).programId !== e["programId"]) {
          flag("epg", e, "programId is not the program airing at the end");
        }
        if (p.adBreak !== undefined && p.state === "ad") {
          flag("pairing", e, "tune ended inside an ad break");
        }
        if (e["isSurf"] === true) surfs++;
        if (e["regionCode"] === "VLG") {
          const ch = e["channelId"] as string;
          channelSecVlg.set(ch, (channelSecVlg.get(ch) ?? 0) + dur);
        }
        closePlay(d, hh);
        break;
      }
      case "playback_end": {
        const reason = e["endReason"];
        const pos = e["positionSec"] as number;
        if (
          reason === "completed" && p.durationSec !== undefined &&
          pos < 0.95 * p.durationSec
        ) flag("end_reason", e, "completed before 95%");
        if (reason === "ebvs" && p.firstFrame) {
          flag("end_reason", e, "ebvs after the first frame");
        }
        if (
          reason === "error" &&
          (p.lastFatal === undefined || t - p.lastFatal > 1000)
        ) flag("end_reason", e, "error end without a fatal error");
        if (p.adOpen || (p.adBreak !== undefined)) {
          flag("pairing", e, "play ended inside an ad");
        }
        if (!p.firstFrame) {
          if (reason === "error") vsf++;
          if (reason === "ebvs") ebvs++;
        } else {
          ffPlays++;
          if (reason === "completed") completed++;
          const played = e["playTimeSec"] as number;
          playSec += played;
          rebufferSec += e["rebufferTimeSec"] as number;
          if (TV_LIKE.has(e["deviceType"] as string)) {
            playMinutes[Math.min(24 * 60, Math.floor(played / 60))]!++;
          }
        }
        closePlay(d, hh);
        break;
      }
    }
  }

  function checkAdFree(e: Record<string, unknown>, p: Play, t: number) {
    if (p.live) {
      const ch = CHANNEL_BY_ID.get(p.channelId!);
      if (!ch || !ch.ads) {
        flag("ad_free", e, `ad on ad-free channel ${p.channelId}`);
      }
      if (
        programAt(p.channelId!, t).genre === "news" &&
        e["event"] === "ad_break_start"
      ) flag("ad_free", e, "ad break during news");
    } else if (p.adFreeService) {
      flag("ad_free", e, `ad on ad-free service ${e["serviceId"]}`);
    }
  }

  function closePlay(d: DeviceState, hh: HouseholdState) {
    d.play = undefined;
    hh.active = Math.max(0, hh.active - 1);
  }

  function report(): ValidationReport {
    const kpis: Kpi[] = [];
    const add = (
      name: string,
      value: number | null,
      min: number,
      max: number,
      unit: string,
      source: string,
    ) => {
      kpis.push({
        name,
        value,
        min,
        max,
        unit,
        source,
        ok: value !== null && value >= min && value <= max,
      });
    };
    const total = hourSeconds.reduce((a, b) => a + b, 0);
    const prime = hourSeconds[19]! + hourSeconds[20]! + hourSeconds[21]! +
      hourSeconds[22]!;
    let peak = 0, trough = 0;
    for (let h = 0; h < 24; h++) {
      if (hourSeconds[h]! > hourSeconds[peak]!) peak = h;
      if (hourSeconds[h]! < hourSeconds[trough]!) trough = h;
    }
    add(
      "prime_time_share",
      total ? prime / total : null,
      0.45,
      0.58,
      "share of viewing 19-23h",
      "docs/realism.md 1.1 template (CIM prime time) [D]",
    );
    add(
      "peak_hour",
      total ? peak : null,
      20,
      21,
      "Brussels hour",
      "CIM / BLS ATUS [V]",
    );
    add(
      "trough_hour",
      total ? trough : null,
      3,
      5,
      "Brussels hour",
      "BLS ATUS shifted +1 h [V/D]",
    );
    add(
      "peak_trough_ratio",
      total && hourSeconds[trough]! > 0
        ? hourSeconds[peak]! / hourSeconds[trough]!
        : null,
      8,
      200,
      "x (heartbeat time)",
      "BLS ATUS 59%/1%; >= 8 on event counts [D]",
    );
    let vlgTotal = 0, vlgTop = 0;
    for (const s of channelSecVlg.values()) {
      vlgTotal += s;
      vlgTop = Math.max(vlgTop, s);
    }
    add(
      "top_channel_share_flanders",
      vlgTotal ? vlgTop / vlgTotal : null,
      0.22,
      0.38,
      "share of linear minutes",
      "CIM: Een/VRT 1 30.4% [V]",
    );
    add(
      "surf_share",
      tunes ? surfs / tunes : null,
      0.2,
      0.6,
      "tunes < 10 s",
      "STB dwell filters 5-20 s; Cha et al. [R/D]",
    );
    add(
      "vod_minutes_per_play_median_tv",
      median(playMinutes),
      5,
      35,
      "minutes",
      "Conviva Q4 2020: 28.7 min mean on TV [V]",
    );
    add(
      "rebuffering_ratio",
      playSec + rebufferSec ? rebufferSec / (playSec + rebufferSec) : null,
      0.002,
      0.008,
      "ratio",
      "Conviva 0.78% (2018); 2024 bands 0.2-0.8% [V/D]",
    );
    add(
      "video_start_failures",
      playStarts ? vsf / playStarts : null,
      0.005,
      0.03,
      "of attempts",
      "Conviva 2.6-4.8%, 2024 bands 0.5-3% [V/D]",
    );
    add(
      "exits_before_video_start",
      playStarts ? ebvs / playStarts : null,
      0.03,
      0.12,
      "of attempts",
      "Krishnan & Sitaraman; bands 3-12% [D]",
    );
    add(
      "vod_completion",
      ffPlays ? completed / ffPlays : null,
      0.12,
      0.3,
      "of views",
      "540M-session study: ~20% [V]",
    );
    let adSum = 0, adMax = 0, adN = 0;
    for (const m of breaksByChannelHour.values()) {
      let s = 0;
      for (const v of m.values()) s += v;
      adSum += s / 60;
      adN++;
      adMax = Math.max(adMax, s / 60);
    }
    add(
      "ad_minutes_per_hour_commercial",
      adN ? adSum / adN : null,
      4,
      12,
      "min per channel-hour seen",
      "EU cap 12 min/h; BE 3-4 breaks [V/D]",
    );
    add(
      "ad_minutes_per_hour_max",
      adN ? adMax : null,
      0,
      12,
      "min",
      "ECTT/AVMSD 20% cap [V]",
    );
    add(
      "ads_on_vrt",
      violations.ad_free.count,
      0,
      0,
      "ad events",
      "VRT may not broadcast ads [V]",
    );
    let sizeSum = 0, sizeN = 0, tvSum = 0;
    for (const h of households.values()) {
      if (h.size === undefined) continue;
      sizeSum += h.size;
      tvSum += h.tvCount!;
      sizeN++;
    }
    add(
      "household_size",
      sizeN ? sizeSum / sizeN : null,
      2.1,
      2.45,
      "persons",
      "Statbel 2024: 2.25 [V]",
    );
    add(
      "tvs_per_household",
      sizeN ? tvSum / sizeN : null,
      1.4,
      1.65,
      "sets",
      "EU 56% >= 2 sets; defaults 1.4-1.6 [V/D]",
    );
    const clean = Object.values(violations).every((v) => v.count === 0);
    return { events, violations, kpis, ok: clean && kpis.every((k) => k.ok) };
  }

  return { feed, report };
}

/** A 52-bit key of an id string (two 26-bit FNV-style hashes). */
/**
 * A set of 52-bit id hashes in one Float64Array (open addressing): about 11
 * bytes per id instead of about 40 in a Set of numbers. Uniqueness is the
 * one check whose memory grows with the events read.
 */
export class IdSet {
  #slots = new Float64Array(1 << 16);
  #size = 0;

  /** Number of ids held. */
  get size(): number {
    return this.#size;
  }

  /** Whether `key` (a non-negative safe integer) is held. */
  has(key: number): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const k = key + 1; // 0 marks an empty slot
    for (let i = slot(k, mask);; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return false;
      if (v === k) return true;
    }
  }

  /** Adds `key` (a non-negative safe integer). */
  add(key: number): void {
    if ((this.#size + 1) * 4 > this.#slots.length * 3) this.#grow();
    const slots = this.#slots;
    const mask = slots.length - 1;
    const k = key + 1;
    for (let i = slot(k, mask);; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === k) return;
      if (v === 0) {
        slots[i] = k;
        this.#size++;
        return;
      }
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Float64Array(old.length * 2);
    this.#size = 0;
    for (const k of old) if (k !== 0) this.add(k - 1);
  }
}

function slot(k: number, mask: number): number {
  const lo = k >>> 0;
  const hi = (k / 4294967296) >>> 0;
  return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & mask;
}

function idKey(id: string): number {
  let a = 0x811c9dc5, b = 0x01000193;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 6) * 67_108_864 + (b >>> 6);
}

function median(hist: Uint32Array): number | null {
  let n = 0;
  for (const c of hist) n += c;
  if (n === 0) return null;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen * 2 >= n) return i + 0.5;
  }
  return null;
}

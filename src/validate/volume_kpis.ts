/**
 * The KPIs of how much is watched, where and how (docs/realism.md 1.1-1.5):
 * linear minutes per person by region, the week's shape, time-shift and
 * on-demand shares, device mix, minutes per play and session lengths by
 * device, ad completion and abandonment. Tallied event by event from the
 * data alone.
 *
 * @module
 */
import { brusselsHour, DAY_MS } from "../model/time.ts";
import { type Kpi, kpi } from "./rules.ts";
import type { Fields, HouseholdState } from "./state.ts";

const BIG_SCREENS = new Set(["STB", "SmartTV", "CTVStick", "Console"]);

/** A device class of the device-mix figures. */
function deviceClass(type: string): "tv" | "mobile" | "tablet" | "web" {
  if (BIG_SCREENS.has(type)) return "tv";
  return type === "Mobile" ? "mobile" : type === "Tablet" ? "tablet" : "web";
}

/** A sum and a count, for a mean. */
class Mean {
  sum = 0;
  n = 0;
  /** Adds one value. */
  add(x: number): void {
    this.sum += x;
    this.n++;
  }
  /** The mean, or null without values. */
  get value(): number | null {
    return this.n ? this.sum / this.n : null;
  }
}

function meanMap(): Record<string, Mean> {
  return {
    tv: new Mean(),
    mobile: new Mean(),
    tablet: new Mean(),
    web: new Mean(),
  };
}

/** Running tallies of the volume, mix and artifact KPIs. */
export class VolumeTally {
  readonly #linearSec: Record<string, number> = { VLG: 0, WAL: 0, BRU: 0 };
  #shiftedSec = 0;
  #linearAllSec = 0;
  readonly #streamLiveSec: Record<string, number> = {};
  readonly #streamVodSec: Record<string, number> = {};
  readonly #perPlay = meanMap();
  readonly #primeSession = meanMap();
  /** Viewing seconds per Brussels day (days since the epoch, local). */
  readonly #daySec = new Map<number, number>();
  /** Per Brussels date: first and last event time seen. */
  readonly #daySpan = new Map<number, [number, number]>();
  readonly #adStarts: Record<string, number> = {
    tv: 0,
    mobile: 0,
    tablet: 0,
    web: 0,
  };
  readonly #adDone: Record<string, number> = {
    tv: 0,
    mobile: 0,
    tablet: 0,
    web: 0,
  };
  readonly #breakPos = new Map<string, string>();
  #preRolls = 0;
  #preRollExits = 0;
  #linearBreaks = 0;
  #linearLeft = 0;
  #minT = Infinity;
  #maxT = -Infinity;

  /** Every event. */
  event(e: Fields, type: string, t: number, judged = true): void {
    if (t < this.#minT) this.#minT = t;
    if (t > this.#maxT) this.#maxT = t;
    const psid = e["playbackSessionId"] as string | undefined;
    // Ads inside an incident's window are the incident's, not the KPIs'.
    if (type.startsWith("ad_")) {
      if (judged) this.#ad(e, type, psid!);
    } else if (type === "channel_end" || type === "playback_end") {
      this.#breakPos.delete(psid!);
    } else if (type === "app_end") this.#session(e, t);
  }

  #ad(e: Fields, type: string, psid: string): void {
    const cls = deviceClass(e["deviceType"] as string);
    if (type === "ad_break_start") {
      const pos = e["adPosition"] as string;
      this.#breakPos.set(psid, pos);
      if (pos === "pre") this.#preRolls++;
      if (pos === "linear") this.#linearBreaks++;
    } else if (type === "ad_start") this.#adStarts[cls]!++;
    else if (type === "ad_complete") this.#adDone[cls]!++;
    else if (type === "ad_abandon") {
      const pos = this.#breakPos.get(psid);
      if (pos === "pre") this.#preRollExits++;
      if (pos === "linear") this.#linearLeft++;
    }
  }

  #session(e: Fields, t: number): void {
    const dur = e["appSessionDurationSec"] as number;
    const h = brusselsHour(t - dur * 1000);
    if (h >= 19 && h < 23) {
      this.#primeSession[deviceClass(e["deviceType"] as string)]!.add(dur / 60);
    }
  }

  /** A heartbeat at `t` on Brussels day `day`: ten seconds of that day's viewing. */
  viewingDay(day: number, t: number): void {
    this.#daySec.set(day, (this.#daySec.get(day) ?? 0) + 10);
    const span = this.#daySpan.get(day);
    if (!span) this.#daySpan.set(day, [t, t]);
    else span[1] = t;
  }

  /** A tune ended after `sec` seconds; `shifted` when time-shifted. */
  tune(e: Fields, sec: number, shifted: boolean): void {
    this.#linearSec[e["regionCode"] as string]! += sec;
    this.#linearAllSec += sec;
    if (shifted) this.#shiftedSec += sec;
    const type = e["deviceType"] as string;
    if (type !== "STB") {
      const cls = deviceClass(type);
      this.#streamLiveSec[cls] = (this.#streamLiveSec[cls] ?? 0) + sec;
    }
  }

  /** A play that showed its first frame ended after `sec` seconds of play. */
  play(e: Fields, sec: number): void {
    const cls = deviceClass(e["deviceType"] as string);
    this.#perPlay[cls]!.add(sec / 60);
    this.#streamVodSec[cls] = (this.#streamVodSec[cls] ?? 0) + sec;
  }

  /** The KPIs, given the households the events showed. */
  kpis(households: HouseholdState[]): Kpi[] {
    return [
      ...this.#volume(households),
      ...this.#week(),
      ...this.#mix(),
      ...this.#ads(),
    ];
  }

  #volume(households: HouseholdState[]): Kpi[] {
    const days = (this.#maxT - this.#minT) / DAY_MS;
    const persons: Record<string, number> = { VLG: 0, WAL: 0, BRU: 0 };
    const homes: Record<string, number> = { VLG: 0, WAL: 0, BRU: 0 };
    let seen = 0, members = 0;
    for (const h of households) {
      if (h.size === undefined || h.regionCode === undefined) continue;
      persons[h.regionCode]! += h.size;
      homes[h.regionCode]!++;
      seen += Math.min(h.users.size, h.size);
      members += h.size;
    }
    const total = homes["VLG"]! + homes["WAL"]! + homes["BRU"]!;
    const perPerson = (r: string) =>
      days >= 0.9 && persons[r]! > 0
        ? this.#linearSec[r]! / 60 / persons[r]! / days
        : null;
    const week = days >= 6.9;
    return [
      kpi(
        "linear_minutes_per_person_day_flanders",
        perPerson("VLG"),
        [160, 190],
        "min",
        "CIM 2015-2017: 170-181 [V]",
      ),
      kpi(
        "linear_minutes_per_person_day_wallonia",
        perPerson("WAL"),
        [182, 225],
        "min",
        "CIM 2015-2017: 194-209 [V]",
      ),
      kpi(
        "households_brussels",
        total ? homes["BRU"]! / total : null,
        [0.08, 0.14],
        "share",
        "Statbel 2024: 10.9% [V]",
      ),
      kpi(
        "households_flanders",
        total ? homes["VLG"]! / total : null,
        [0.52, 0.63],
        "share",
        "Statbel 2024: 57.6% [V]",
      ),
      optional(
        "members_watching_in_a_week",
        week && members ? seen / members : null,
        [0.7, 0.97],
        "share of members",
        "CIM measures persons 4+; not everyone watches [D]",
        week,
      ),
    ];
  }

  #week(): Kpi[] {
    // Whole days only (the first may start an hour late in Brussels time).
    const days = [...this.#daySec.keys()].filter((d) => {
      const [a, b] = this.#daySpan.get(d)!;
      return b - a > 22 * 3_600_000;
    });
    const full = days.length >= 7;
    let sum = 0, sun = 0, sat = 0, nSun = 0, nSat = 0;
    for (const d of days) {
      const v = this.#daySec.get(d)!;
      sum += v;
      const wd = new Date(d * DAY_MS).getUTCDay();
      if (wd === 0) (sun += v, nSun++);
      if (wd === 6) (sat += v, nSat++);
    }
    const mean = days.length ? sum / days.length : 0;
    return [
      optional(
        "sunday_multiplier",
        full && nSun ? sun / nSun / mean : null,
        [1.04, 1.14],
        "x daily mean",
        "CIM: Sunday heaviest, +6% [V/D]",
        full,
      ),
      optional(
        "saturday_multiplier",
        full && nSat ? sat / nSat / mean : null,
        [0.9, 0.99],
        "x daily mean",
        "CIM: Saturday weak [V/D]",
        full,
      ),
    ];
  }

  #mix(): Kpi[] {
    const live = sumOf(this.#streamLiveSec), vod = sumOf(this.#streamVodSec);
    const streaming = live + vod;
    const mobile = (this.#streamLiveSec["mobile"] ?? 0) +
      (this.#streamVodSec["mobile"] ?? 0);
    return [
      kpi(
        "timeshift_share_of_linear",
        this.#linearAllSec ? this.#shiftedSec / this.#linearAllSec : null,
        [0.1, 0.22],
        "of linear minutes",
        "CIM Flanders: 28 of 170 min [V]",
      ),
      kpi(
        "on_demand_share_of_streaming",
        streaming ? vod / streaming : null,
        [0.6, 0.73],
        "of app viewing",
        "Conviva 2019-2020: 63-70% [V]",
      ),
      kpi(
        "mobile_share_of_streaming",
        streaming ? mobile / streaming : null,
        [0.05, 0.15],
        "of app viewing",
        "Conviva Q3 2020: 10% [V]",
      ),
      kpi(
        "vod_minutes_per_play_tv",
        this.#perPlay["tv"]!.value,
        [22, 36],
        "mean min",
        "Conviva Q4 2020: 28.7 [V]",
      ),
      kpi(
        "vod_minutes_per_play_mobile",
        this.#perPlay["mobile"]!.value,
        [5, 12.5],
        "mean min",
        "Conviva Q4 2020: 8.6 [V]",
      ),
      kpi(
        "prime_session_minutes_tv",
        this.#primeSession["tv"]!.value,
        [60, 95],
        "mean min",
        "Conviva 2017: CTV 77 [V]",
      ),
      kpi(
        "prime_session_minutes_tablet",
        this.#primeSession["tablet"]!.value,
        [33, 58],
        "mean min",
        "Conviva 2017: tablet 45 [V]",
      ),
      kpi(
        "prime_session_minutes_web",
        this.#primeSession["web"]!.value,
        [29, 50],
        "mean min",
        "Conviva 2017: PC 39 [V]",
      ),
      kpi(
        "prime_session_minutes_mobile",
        this.#primeSession["mobile"]!.value,
        [22, 42],
        "mean min",
        "Conviva 2017: smartphone 32 [V]",
      ),
    ];
  }

  #ads(): Kpi[] {
    const rate = (cls: string) =>
      this.#adStarts[cls]! ? this.#adDone[cls]! / this.#adStarts[cls]! : null;
    return [
      kpi(
        "pre_roll_exits",
        this.#preRolls ? this.#preRollExits / this.#preRolls : null,
        [0.15, 0.35],
        "of pre-rolls",
        "Conviva Q2 2019: 19-33% [V]",
      ),
      kpi(
        "linear_breaks_left",
        this.#linearBreaks ? this.#linearLeft / this.#linearBreaks : null,
        [0.08, 0.3],
        "of breaks seen",
        "Deng & Mela 2018: 15% avoid [V]",
      ),
      kpi(
        "ad_completion_tv",
        rate("tv"),
        [0.9, 0.99],
        "of ads",
        "Innovid 2024: CTV 95.8% [V]",
      ),
      kpi(
        "ad_completion_mobile",
        rate("mobile"),
        [0.72, 0.88],
        "of ads",
        "Innovid 2024: mobile 80.7% [V]",
      ),
      kpi(
        "ad_completion_desktop",
        rate("web"),
        [0.72, 0.89],
        "of ads",
        "Innovid 2024: desktop 81.7% [V]",
      ),
    ];
  }
}

function sumOf(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

/** A KPI that needs more data than a short sample has: passes, marked, when it cannot be measured. */
function optional(
  name: string,
  value: number | null,
  range: readonly [number, number],
  unit: string,
  source: string,
  measurable: boolean,
): Kpi {
  const k = kpi(
    name,
    value,
    range,
    measurable ? unit : `${unit}; needs 7 days`,
    source,
  );
  return measurable ? k : { ...k, ok: true };
}

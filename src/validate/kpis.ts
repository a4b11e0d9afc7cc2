/**
 * The KPIs the model targets (docs/realism.md section 1), tallied while
 * the validator reads and measured against their target ranges at the end.
 *
 * @module
 */
import { brusselsOffsetMs, DAY_MS, HOUR_MS } from "../model/time.ts";
import { type Kpi, kpi } from "./rules.ts";
import { QUALITY_BANDS } from "./bands.ts";
import type { Fields, HouseholdState, Play } from "./state.ts";
import { MarkTally } from "./marks_kpis.ts";
import { VolumeTally } from "./volume_kpis.ts";

/** Running tallies of the KPIs. */
export class KpiTally {
  /** Viewing seconds (heartbeats) per Brussels hour. */
  readonly hourSeconds = new Float64Array(24);
  /** Linear seconds per channel, in Flanders. */
  readonly channelSecVlg = new Map<string, number>();
  /** Linear breaks seen, by channel and hour: their planned lengths. */
  readonly breaks = new Map<string, Map<string, number>>();
  /** Volumes, mixes and the marks of a machine. */
  readonly volume = new VolumeTally();
  /** The marks a machine leaves. */
  readonly marks = new MarkTally();
  tunes = 0;
  surfs = 0;
  playStarts = 0;
  vsf = 0;
  ebvs = 0;
  ffPlays = 0;
  completed = 0;
  playSec = 0;
  rebufferSec = 0;

  /** Every event, first; `judged` unless inside an incident's window. */
  event(e: Fields, type: string, t: number, judged = true): void {
    this.volume.event(e, type, t, judged);
    this.marks.event(e, type, t);
  }

  /** A heartbeat at `t`: ten seconds of viewing in its Brussels hour and day. */
  heartbeat(t: number): void {
    const local = t + brusselsOffsetMs(t);
    this.hourSeconds[Math.floor(local / HOUR_MS) % 24]! += 10;
    this.volume.viewingDay(Math.floor(local / DAY_MS), t);
  }

  /**
   * A tune ended; `shifted` when it was time-shifted. Volumes count every
   * tune; surfing and channel shares only `judged` ones (outside incidents).
   */
  tuneEnd(e: Fields, shifted: boolean, judged = true): void {
    this.volume.tune(e, e["watchDurationSec"] as number, shifted);
    if (!judged) return;
    if (e["isSurf"] === true) this.surfs++;
    if (e["regionCode"] === "VLG") {
      const ch = e["channelId"] as string;
      const dur = e["watchDurationSec"] as number;
      this.channelSecVlg.set(ch, (this.channelSecVlg.get(ch) ?? 0) + dur);
    }
  }

  /**
   * A play ended with `reason`. Volumes count every play; quality (start
   * failures, exits, completion, rebuffering) only `judged` ones.
   */
  playEnd(e: Fields, p: Play, reason: unknown, judged = true): void {
    if (!judged) {
      if (p.firstFrame) this.volume.play(e, e["playTimeSec"] as number);
      return;
    }
    if (!p.firstFrame) {
      if (reason === "error") this.vsf++;
      // Leaving during a pre-roll is counted with the pre-roll KPI.
      if (reason === "ebvs" && !p.leftInPreRoll) this.ebvs++;
      return;
    }
    this.ffPlays++;
    if (reason === "completed") this.completed++;
    const played = e["playTimeSec"] as number;
    this.playSec += played;
    this.rebufferSec += e["rebufferTimeSec"] as number;
    this.volume.play(e, played);
  }

  /** Every KPI with its value, target range and source. */
  kpis(
    adFreeViolations: number,
    households: Iterable<HouseholdState>,
  ): Kpi[] {
    const list = [...households];
    return [
      ...this.#dayShape(),
      ...this.#viewing(),
      ...this.#quality(),
      ...this.#ads(adFreeViolations),
      ...householdKpis(list),
      ...this.volume.kpis(list),
      ...this.marks.kpis(),
    ];
  }

  #dayShape(): Kpi[] {
    const h = this.hourSeconds;
    const total = h.reduce((a, b) => a + b, 0);
    const prime = h[19]! + h[20]! + h[21]! + h[22]!;
    let peak = 0, trough = 0;
    for (let i = 0; i < 24; i++) {
      if (h[i]! > h[peak]!) peak = i;
      if (h[i]! < h[trough]!) trough = i;
    }
    return [
      kpi(
        "prime_time_share",
        total ? prime / total : null,
        [0.45, 0.58],
        "share of viewing 19-23h",
        "docs/realism.md 1.1 template (CIM prime time) [D]",
      ),
      kpi(
        "peak_hour",
        total ? peak : null,
        [20, 21],
        "Brussels hour",
        "CIM / BLS ATUS [V]",
      ),
      kpi(
        "trough_hour",
        total ? trough : null,
        [3, 5],
        "Brussels hour",
        "BLS ATUS shifted +1 h [V/D]",
      ),
      kpi(
        "peak_trough_ratio",
        total && h[trough]! > 0 ? h[peak]! / h[trough]! : null,
        [8, 200],
        "x (heartbeat time)",
        "BLS ATUS 59%/1%; >= 8 on event counts [D]",
      ),
    ];
  }

  #viewing(): Kpi[] {
    const shares = [...this.channelSecVlg.values()].sort((a, b) => b - a);
    const vlgTotal = shares.reduce((a, b) => a + b, 0);
    const vlgTop = shares[0] ?? 0;
    const top10 = shares.slice(0, 10).reduce((a, b) => a + b, 0);
    return [
      kpi(
        "top_channel_share_flanders",
        vlgTotal ? vlgTop / vlgTotal : null,
        [0.24, 0.34],
        "share of linear minutes",
        "CIM: Een/VRT 1 30.4% [V]",
      ),
      kpi(
        "top10_channel_share_flanders",
        vlgTotal ? top10 / vlgTotal : null,
        [0.7, 0.8],
        "share of linear minutes",
        "Zipf head s 1.1-1.3: 72-77% [D]",
      ),
      kpi(
        "surf_share",
        this.tunes ? this.surfs / this.tunes : null,
        [0.2, 0.6],
        "tunes < 10 s",
        "STB dwell filters 5-20 s; Cha et al. [R/D]",
      ),
    ];
  }

  #quality(): Kpi[] {
    const { playSec, rebufferSec, playStarts } = this;
    return [
      kpi(
        "rebuffering_ratio",
        playSec + rebufferSec ? rebufferSec / (playSec + rebufferSec) : null,
        QUALITY_BANDS.rebufferingRatio,
        "ratio",
        "Conviva 0.78% (2018); 2024 bands 0.2-0.8% [V/D]",
      ),
      kpi(
        "video_start_failures",
        playStarts ? this.vsf / playStarts : null,
        QUALITY_BANDS.videoStartFailures,
        "of attempts",
        "Conviva 2.6-4.8%, 2024 bands 0.5-3% [V/D]",
      ),
      kpi(
        "exits_before_video_start",
        playStarts ? this.ebvs / playStarts : null,
        QUALITY_BANDS.exitsBeforeVideoStart,
        "of attempts",
        "Krishnan & Sitaraman; bands 3-12% [D]",
      ),
      kpi(
        "vod_completion",
        this.ffPlays ? this.completed / this.ffPlays : null,
        [0.12, 0.3],
        "of views",
        "540M-session study: ~20% [V]",
      ),
    ];
  }

  #ads(adFreeViolations: number): Kpi[] {
    let adSum = 0, adMax = 0, adN = 0;
    for (const m of this.breaks.values()) {
      let s = 0;
      for (const v of m.values()) s += v;
      adSum += s / 60;
      adN++;
      adMax = Math.max(adMax, s / 60);
    }
    return [
      kpi(
        "ad_minutes_per_hour_commercial",
        adN ? adSum / adN : null,
        [4, 12],
        "min per channel-hour seen",
        "EU cap 12 min/h; BE 3-4 breaks [V/D]",
      ),
      kpi(
        "ad_minutes_per_hour_max",
        adN ? adMax : null,
        [0, 12],
        "min",
        "ECTT/AVMSD 20% cap [V]",
      ),
      kpi(
        "ads_on_vrt",
        adFreeViolations,
        [0, 0],
        "ad events",
        "VRT may not broadcast ads [V]",
      ),
    ];
  }
}

function householdKpis(households: Iterable<HouseholdState>): Kpi[] {
  let sizeSum = 0, sizeN = 0, tvSum = 0;
  for (const h of households) {
    if (h.size === undefined) continue;
    sizeSum += h.size;
    tvSum += h.tvCount!;
    sizeN++;
  }
  return [
    kpi(
      "household_size",
      sizeN ? sizeSum / sizeN : null,
      [2.1, 2.45],
      "persons",
      "Statbel 2024: 2.25 [V]",
    ),
    kpi(
      "tvs_per_household",
      sizeN ? tvSum / sizeN : null,
      [1.4, 1.65],
      "sets",
      "EU 56% >= 2 sets; defaults 1.4-1.6 [V/D]",
    ),
  ];
}

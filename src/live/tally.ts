/**
 * Audience and quality of the stream, tallied event by event for the live
 * view: who is watching what now, and the quality of the last five minutes
 * of event time. Memory is bounded by the population (one entry per device
 * playing) and by fixed windows; nothing grows with the stream's length.
 *
 * @module
 */
import {
  type AudienceFigures,
  emptyQuality,
  type QualityFigures,
} from "../protocol.ts";

/** A device with a tune or a play open. */
interface Open {
  session: string;
  channel: string | undefined;
  service: string;
  device: string;
  region: string;
  lastSeen: number;
  /** Its viewer left during an ad (before the first frame: a pre-roll exit). */
  leftInAd?: boolean;
}

/** Ten seconds of quality figures. */
interface Slot {
  /** Which ten seconds (event time / 10 s) the slot holds. */
  epoch: number;
  attempts: number;
  failures: number;
  exits: number;
  playSec: number;
  rebufferSec: number;
  startups: Uint32Array;
}

const SLOT_MS = 10_000;
/** Five minutes of slots. */
const SLOTS = 30;
/** A device silent this long (event time) is no longer counted as watching. */
const STALE_MS = 120_000;
const HOUR_MS = 3_600_000;
/** Start-up time bins: 100 ms times 1.15^i, up to about a minute. */
const STARTUP_BASE_MS = 100;
const STARTUP_GROWTH = 1.15;
const STARTUP_BINS = 48;

/** The event types whose fields the figures read (heartbeats aside). */
const TALLIED = new Set([
  "channel_start",
  "playback_start",
  "channel_end",
  "playback_end",
  "app_end",
  "playback_first_frame",
  "ad_break_start",
]);

function emptySlot(epoch: number): Slot {
  return {
    epoch,
    attempts: 0,
    failures: 0,
    exits: 0,
    playSec: 0,
    rebufferSec: 0,
    startups: new Uint32Array(STARTUP_BINS),
  };
}

function startupBin(ms: number): number {
  if (ms <= STARTUP_BASE_MS) return 0;
  const bin = Math.ceil(
    Math.log(ms / STARTUP_BASE_MS) / Math.log(STARTUP_GROWTH),
  );
  return Math.min(STARTUP_BINS - 1, bin);
}

/** The upper edge of a start-up bin, ms. */
function binEdge(bin: number): number {
  return Math.round(STARTUP_BASE_MS * STARTUP_GROWTH ** bin);
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Tallies events into {@linkcode AudienceFigures}. */
export class AudienceTally {
  /** Events taken, by type (the live view's events/s by type). */
  readonly byType: Record<string, number> = {};
  readonly #open = new Map<string, Open>();
  readonly #slots: Slot[] = Array.from({ length: SLOTS }, () => emptySlot(-1));
  /** Linear breaks by id: channel, start and planned seconds. */
  readonly #breaks = new Map<
    string,
    { channel: string; t: number; sec: number }
  >();
  #asOf = 0;

  /**
   * Takes one event as generated text, parsing it only when its type is
   * one the figures read (most events are heartbeats, which need the
   * device alone).
   */
  observeText(type: string, tvId: string, t: number, json: string): void {
    if (TALLIED.has(type)) this.observe(JSON.parse(json), t);
    else {
      this.byType[type] = (this.byType[type] ?? 0) + 1;
      this.#seen(tvId, t, type);
    }
  }

  /** Takes one valid event at event time `t` (ms). */
  observe(e: Record<string, unknown>, t: number): void {
    const tv = e["tvId"] as string;
    const type = e["event"] as string;
    this.byType[type] = (this.byType[type] ?? 0) + 1;
    if (!TALLIED.has(type)) {
      this.#seen(tv, t, type);
      return;
    }
    if (t > this.#asOf) this.#asOf = t;
    switch (type) {
      case "channel_start":
      case "playback_start":
        this.#start(e, tv, t);
        break;
      case "channel_end":
      case "playback_end":
        this.#end(e, tv, t);
        break;
      case "app_end":
        this.#open.delete(tv);
        break;
      case "playback_first_frame":
        this.#slot(t).startups[startupBin(e["startupTimeMs"] as number)]!++;
        break;
      case "ad_break_start":
        if (e["adPosition"] === "linear") this.#adBreak(e, t);
        break;
    }
  }

  /**
   * An event the figures need only the time and device of: a heartbeat
   * keeps its device watching, an ad_abandon marks its play.
   */
  #seen(tv: string, t: number, type: string): void {
    if (t > this.#asOf) this.#asOf = t;
    if (type === "ad_abandon") {
      const o = this.#open.get(tv);
      if (o) o.leftInAd = true;
    }
    if (type !== "heartbeat") return;
    const o = this.#open.get(tv);
    if (o) o.lastSeen = t;
  }

  #start(e: Record<string, unknown>, tv: string, t: number): void {
    const live = e["event"] === "channel_start";
    this.#open.set(tv, {
      session: e["playbackSessionId"] as string,
      channel: live ? e["channelId"] as string : undefined,
      service: e["serviceId"] as string,
      device: e["deviceType"] as string,
      region: e["regionCode"] as string,
      lastSeen: t,
    });
    if (!live) this.#slot(t).attempts++;
  }

  #end(e: Record<string, unknown>, tv: string, t: number): void {
    const o = this.#open.get(tv);
    const mine = o?.session === e["playbackSessionId"];
    if (mine) this.#open.delete(tv);
    if (e["event"] !== "playback_end") return;
    const slot = this.#slot(t);
    const reason = e["endReason"];
    // A play that never showed a frame has no start-up time. Leaving during
    // a pre-roll is an ad figure, not an exit before video start (as in
    // `validate`).
    if (e["startupTimeMs"] === undefined) {
      if (reason === "error") slot.failures++;
      else if (reason === "ebvs" && !(mine && o!.leftInAd)) slot.exits++;
      return;
    }
    slot.playSec += e["playTimeSec"] as number;
    slot.rebufferSec += e["rebufferTimeSec"] as number;
  }

  #adBreak(e: Record<string, unknown>, t: number): void {
    const id = e["adBreakId"] as string;
    if (this.#breaks.has(id)) return;
    this.#breaks.set(id, {
      channel: e["channelId"] as string,
      t,
      sec: e["plannedDurationSec"] as number,
    });
  }

  #slot(t: number): Slot {
    const epoch = Math.floor(t / SLOT_MS);
    const i = epoch % SLOTS;
    let slot = this.#slots[i]!;
    if (slot.epoch !== epoch) {
      // An event older than the window lands in a slot of its own that
      // the figures ignore.
      if (slot.epoch > epoch) return emptySlot(epoch);
      slot = this.#slots[i] = emptySlot(epoch);
    }
    return slot;
  }

  /** The figures as of the newest event seen; drops what has gone stale. */
  figures(): AudienceFigures {
    const asOf = this.#asOf;
    const viewers: Record<string, number> = {};
    const byService: Record<string, number> = {};
    const byDevice: Record<string, number> = {};
    const byRegion: Record<string, number> = {};
    for (const [tv, o] of this.#open) {
      if (o.lastSeen < asOf - STALE_MS) {
        this.#open.delete(tv);
        continue;
      }
      if (o.channel !== undefined) bump(viewers, o.channel);
      bump(byService, o.service);
      bump(byDevice, o.device);
      bump(byRegion, o.region);
    }
    return {
      asOf,
      viewers,
      byService,
      byDevice,
      byRegion,
      quality: this.#quality(),
      adMinutesPerHour: this.#adMinutes(),
    };
  }

  #quality(): QualityFigures {
    const now = Math.floor(this.#asOf / SLOT_MS);
    const q = emptyQuality();
    const bins = new Uint32Array(STARTUP_BINS);
    for (const s of this.#slots) {
      if (s.epoch <= now - SLOTS || s.epoch > now) continue;
      q.attempts += s.attempts;
      q.failures += s.failures;
      q.exits += s.exits;
      q.playSec += s.playSec;
      q.rebufferSec += s.rebufferSec;
      for (let b = 0; b < STARTUP_BINS; b++) bins[b]! += s.startups[b]!;
    }
    for (const n of bins) q.startups += n;
    q.startupP50Ms = quantile(bins, q.startups, 0.5);
    q.startupP90Ms = quantile(bins, q.startups, 0.9);
    return q;
  }

  #adMinutes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, b] of this.#breaks) {
      if (b.t <= this.#asOf - HOUR_MS) {
        this.#breaks.delete(id);
        continue;
      }
      out[b.channel] = (out[b.channel] ?? 0) + b.sec / 60;
    }
    return out;
  }
}

/** The upper edge of the bin holding quantile `q` of `total` observations. */
function quantile(bins: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let b = 0; b < bins.length; b++) {
    seen += bins[b]!;
    if (seen >= rank) return binEdge(b);
  }
  return binEdge(bins.length - 1);
}

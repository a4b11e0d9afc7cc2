/**
 * The population simulator: merges every active app session into one
 * time-ordered, seeded, resumable stream of events.
 *
 * How it stays deterministic, resumable and small:
 * - Time is cut into one-minute slots. The app-session arrivals of a slot are
 *   a pure function of (seed, slot): a Poisson count whose mean follows the
 *   Brussels diurnal and weekly curves, each arrival with its own time,
 *   household, device and session seed.
 * - A device takes an arrival only if no earlier *raw* arrival on it (kept or
 *   not) is still running. Raw lengths are drawn first from the session seed,
 *   so whether a device is busy depends only on the last
 *   {@linkcode MAX_SESSION_MS} of raw arrivals, never on the whole history.
 * - A session still running at a resume point started at most
 *   {@linkcode MAX_SESSION_MS} before it, and whether it was kept depends on
 *   the raw arrivals up to {@linkcode MAX_SESSION_MS} before its own start.
 *   Resuming at a position therefore replays twice that of raw arrivals
 *   (cheap: no events), fast-forwards the sessions still running, and skips
 *   what was already emitted; a fresh start does the same, so that both
 *   see the same history. Memory holds active sessions and busy devices,
 *   never the population.
 *
 * @module
 */
import { HOURLY_TEMPLATE, WEEKDAY_FACTOR } from "./catalog.ts";
import type { TelemetryEvent } from "./event.ts";
import {
  expandHousehold,
  type HouseholdCore,
  householdCoreAt,
  MAX_DEVICES,
} from "./household.ts";
import { flat } from "./text.ts";
import { hash32, HASH_START, hashWord, Rng } from "./rng.ts";
import {
  appSession,
  drawSessionLength,
  type EventFields,
  MAX_SESSION_MS,
  type SessionContext,
} from "./session.ts";
import { brusselsHour, brusselsWeekday, HOUR_MS, isoTime } from "./time.ts";

/** Length of one arrival slot. */
export const SLOT_MS = 60_000;

/**
 * Where a stream stands: `seq` events emitted so far, the last at time `t`,
 * and `n` of them at exactly `t`. Enough to resume without the prefix.
 */
export interface Position {
  seq: number;
  t: number;
  n: number;
}

/** Options of {@linkcode createSimulator}. */
export interface SimulatorOptions {
  seed: number;
  households: number;
  /** First instant emitted (ms). */
  startMs: number;
  /** End of the window, exclusive; `undefined` = endless. */
  endMs?: number;
  /** Continue after this position instead of starting at `startMs`. */
  resume?: Position;
  /** Advertiser catalog (built by the faker adapter). */
  advertisers: readonly string[];
}

/**
 * One event as the pipeline sends it: its JSON text (fields in a fixed
 * order, exactly as `JSON.stringify` writes them), type, device and time.
 */
export interface SimRecord {
  json: string;
  event: string;
  tvId: string;
  t: number;
}

/** A running simulation. */
export interface Simulator {
  /** Returns the time of the next event, or `undefined` at the end. */
  peekTime(): number | undefined;
  /**
   * Returns the next event, or `undefined` at the end of the window. The
   * record is reused: it is valid until the next call.
   */
  nextRecord(): SimRecord | undefined;
  /**
   * Returns the next event as an object, or `undefined` at the end (parsed
   * from its text: for tools and tests; the pipeline uses `nextRecord`).
   */
  next(): TelemetryEvent | undefined;
  /** Returns the position after the last event returned. */
  position(): Position;
  /** Returns the number of app sessions currently running. */
  activeSessions(): number;
}

/** App sessions started per household per day, on average. */
const ARRIVALS_PER_HOUSEHOLD_DAY = 3.3;
/** Busy share of devices at the peak hour, used to offset dropped arrivals. */
const PEAK_BUSY = 0.45;

const TEMPLATE_MAX = Math.max(...HOURLY_TEMPLATE);
const TEMPLATE_MEAN = HOURLY_TEMPLATE.reduce((a, b) => a + b, 0) / 24;

/** Returns the mean number of arrivals in one slot for a population. */
export function slotArrivalMean(households: number, slotStart: number): number {
  // Arrivals lead viewing minutes by about 40 minutes (sessions last ~1 h).
  const at = slotStart + 40 * 60_000;
  const h = brusselsHour(at);
  const shape = HOURLY_TEMPLATE[h]! / TEMPLATE_MEAN;
  const busy = PEAK_BUSY * HOURLY_TEMPLATE[h]! / TEMPLATE_MAX;
  const week = WEEKDAY_FACTOR[brusselsWeekday(at)]!;
  return households * ARRIVALS_PER_HOUSEHOLD_DAY * shape * week /
    (1 - busy) / (24 * 60);
}

interface Entry {
  t: number;
  ord: number;
  /** Type and own fields of the session's next event. */
  type: string;
  fields: EventFields;
  gen: Generator<EventFields>;
  ctx: SessionContext;
}

/** Creates a simulator for a population and window. */
export function createSimulator(options: SimulatorOptions): Simulator {
  const { seed, households } = options;
  const endMs = options.endMs ?? Infinity;
  const resume = options.resume;
  const emitFrom = resume ? resume.t : options.startMs;
  let skipAtStart = resume ? resume.n : 0;
  let seq = resume ? resume.seq : 0;
  let lastT = resume ? resume.t : options.startMs;
  let atLastT = resume ? resume.n : 0;

  const heap: Entry[] = [];
  const record: SimRecord = { json: "", event: "", tvId: "", t: 0 };
  const busy = new Map<number, number>();
  const householdBusy = new Map<number, number[]>();
  let slot = Math.floor((emitFrom - 2 * MAX_SESSION_MS) / SLOT_MS);
  const coreCache = new Map<number, HouseholdCore>();

  function core(index: number): HouseholdCore {
    let h = coreCache.get(index);
    if (!h) {
      h = householdCoreAt(seed, index);
      // Bounded: households that watch often are looked up again soon.
      if (coreCache.size >= 100_000) coreCache.clear();
      coreCache.set(index, h);
    }
    return h;
  }

  function admitSlot(): void {
    const slotStart = slot * SLOT_MS;
    const rng = new Rng(hash32(seed, slot, 0x5107));
    const count = rng.poisson(slotArrivalMean(households, slotStart));
    const arrivals: { t: number; i: number; h: number }[] = [];
    for (let i = 0; i < count; i++) {
      arrivals.push({
        t: slotStart + rng.int(SLOT_MS),
        i,
        h: rng.int(households),
      });
    }
    arrivals.sort((a, b) => a.t - b.t || a.i - b.i);
    for (const a of arrivals) {
      const hh = core(a.h);
      const srng = new Rng(hash32(seed, slot, a.i, 0xa5));
      const d = srng.pickCumulative(hh.deviceWeights);
      const rawEnd = a.t + drawSessionLength(srng, hh.deviceTypes[d]!);
      const key = a.h * MAX_DEVICES + d;
      const until = busy.get(key);
      // Household concurrency (rule 16): at most size + 1 sessions at once,
      // counted over raw arrivals so that it too needs only the lookback.
      let ends = householdBusy.get(a.h);
      if (!ends) householdBusy.set(a.h, ends = []);
      let running = 0;
      for (let k = ends.length - 1; k >= 0; k--) {
        if (ends[k]! > a.t) running++;
        else ends.splice(k, 1);
      }
      ends.push(rawEnd);
      if (until !== undefined && until > a.t) {
        if (rawEnd > until) busy.set(key, rawEnd);
        continue;
      }
      busy.set(key, rawEnd);
      if (running >= hh.size + 1) continue;
      if (rawEnd <= emitFrom || a.t >= endMs) continue;
      const household = expandHousehold(hh);
      const device = household.devices[d]!;
      const userId = device.owner >= 0
        ? household.userIds[device.owner]!
        : household.userIds[srng.int(household.size)]!;
      const ctx: SessionContext = {
        rng: srng,
        household,
        device,
        userId,
        startMs: a.t,
        endMs: rawEnd,
        emitFrom,
        t: a.t,
        event: "",
        sharedJson: "",
        advertisers: options.advertisers,
        appSessionId: `AS_${slot.toString(36)}${
          a.i.toString(36).padStart(3, "0")
        }`,
      };
      const gen = appSession(ctx);
      // Fast-forward sessions that started before the first emitted instant.
      let r = gen.next();
      while (!r.done && ctx.t! < emitFrom) r = gen.next();
      if (!r.done) {
        push({
          ctx,
          t: ctx.t!,
          ord: slot * 1_048_576 + a.i,
          type: ctx.event!,
          fields: r.value,
          gen,
        });
      }
    }
    slot++;
    if (slot % 60 === 0) {
      for (const [key, until] of busy) if (until <= slotStart) busy.delete(key);
      for (const [key, ends] of householdBusy) {
        if (ends.every((e) => e <= slotStart)) householdBusy.delete(key);
      }
    }
  }

  function push(e: Entry): void {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const child = heap[i]!;
      const parent = heap[p]!;
      if (!less(child, parent)) break;
      heap[i] = parent;
      heap[p] = child;
      i = p;
    }
  }

  function siftDown(): void {
    // Moves the top entry down by shifting smaller children up into the
    // hole: one write per level, no swaps (this runs once per event, and
    // a heartbeat's session usually sinks to the bottom).
    const n = heap.length;
    const e = heap[0]!;
    let i = 0;
    while (true) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let child = heap[c]!;
      if (c + 1 < n && less(heap[c + 1]!, child)) child = heap[++c]!;
      if (!less(child, e)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = e;
  }

  /** Makes sure the heap top is the next event; returns it or undefined. */
  function top(): Entry | undefined {
    while (true) {
      const head = heap[0];
      const nextSlotStart = slot * SLOT_MS;
      if (
        (head === undefined || head.t >= nextSlotStart) &&
        nextSlotStart < endMs
      ) {
        admitSlot();
        continue;
      }
      if (head === undefined || head.t >= endMs) return undefined;
      if (skipAtStart > 0 && head.t === emitFrom) {
        skipAtStart--;
        advance(head);
        continue;
      }
      return head;
    }
  }

  function advance(head: Entry): void {
    const r = head.gen.next();
    if (r.done) {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown();
      }
    } else {
      head.type = head.ctx.event!;
      head.fields = r.value;
      head.t = head.ctx.t!;
      siftDown();
    }
  }

  function nextRecord(): SimRecord | undefined {
    const head = top();
    if (!head) return undefined;
    const t = head.t;
    // The head, the session's shared fields, then the event's own: the
    // field order events have always had, and what JSON.stringify writes.
    record.json = headOf(head.type) + eventUuid(seed, seq) +
      '","timestamp":"' + isoTime(t) + '",' + head.ctx.sharedJson +
      head.fields + "}";
    record.event = head.type;
    record.tvId = head.ctx.device.tvId;
    record.t = t;
    advance(head);
    if (t === lastT) atLastT++;
    else {
      lastT = t;
      atLastT = 1;
    }
    seq++;
    return record;
  }

  return {
    peekTime() {
      return top()?.t;
    },
    nextRecord,
    next() {
      const r = nextRecord();
      return r ? JSON.parse(r.json) as TelemetryEvent : undefined;
    },
    position() {
      return { seq, t: lastT, n: atLastT };
    },
    activeSessions() {
      return heap.length;
    },
  };
}

function less(a: Entry, b: Entry): boolean {
  return a.t < b.t || (a.t === b.t && a.ord < b.ord);
}

/** `{"event":"<type>","eventId":"` per event type, built once. */
const HEADS = new Map<string, string>();

function headOf(type: string): string {
  let head = HEADS.get(type);
  if (head === undefined) {
    head = flat('{"event":"' + type + '","eventId":"');
    HEADS.set(type, head);
  }
  return head;
}

/** Character codes of the hex digits. */
const HEX_CODES = [..."0123456789abcdef"].map((c) => c.charCodeAt(0));
const DASH = 45;

/** Returns the deterministic UUID (v4 layout) of event `seq` in a seeded stream. */
export function eventUuid(seed: number, seq: number): string {
  // hash32(seed, seq, k) for k = 1..4, sharing the (seed, seq) prefix.
  const h = hashWord(hashWord(HASH_START, seed), seq);
  const a = hashWord(h, 1);
  const b = (hashWord(h, 2) & 0xffff0fff) | 0x4000;
  const c = (hashWord(h, 3) & 0x3fffffff) | 0x80000000;
  const d = hashWord(h, 4);
  const x = HEX_CODES;
  // One call that writes one flat string: the event's JSON is a rope of
  // pieces, and each piece that is itself a rope costs again when the sink
  // flattens it.
  return String.fromCharCode(
    x[a >>> 28]!,
    x[(a >>> 24) & 15]!,
    x[(a >>> 20) & 15]!,
    x[(a >>> 16) & 15]!,
    x[(a >>> 12) & 15]!,
    x[(a >>> 8) & 15]!,
    x[(a >>> 4) & 15]!,
    x[a & 15]!,
    DASH,
    x[b >>> 28]!,
    x[(b >>> 24) & 15]!,
    x[(b >>> 20) & 15]!,
    x[(b >>> 16) & 15]!,
    DASH,
    x[(b >>> 12) & 15]!,
    x[(b >>> 8) & 15]!,
    x[(b >>> 4) & 15]!,
    x[b & 15]!,
    DASH,
    x[c >>> 28]!,
    x[(c >>> 24) & 15]!,
    x[(c >>> 20) & 15]!,
    x[(c >>> 16) & 15]!,
    DASH,
    x[(c >>> 12) & 15]!,
    x[(c >>> 8) & 15]!,
    x[(c >>> 4) & 15]!,
    x[c & 15]!,
    x[d >>> 28]!,
    x[(d >>> 24) & 15]!,
    x[(d >>> 20) & 15]!,
    x[(d >>> 16) & 15]!,
    x[(d >>> 12) & 15]!,
    x[(d >>> 8) & 15]!,
    x[(d >>> 4) & 15]!,
    x[d & 15]!,
  );
}

/** Estimates events per second per household around an instant (for --rate sizing). */
export function naturalRatePerHousehold(
  seed: number,
  atMs: number,
  advertisers: readonly string[],
): number {
  const households = 400;
  const sim = createSimulator({
    seed: seed ^ 0x5a5a,
    households,
    startMs: atMs - HOUR_MS / 2,
    endMs: atMs + HOUR_MS / 2,
    advertisers,
  });
  let count = 0;
  while (sim.next()) count++;
  return Math.max(count, 1) / 3600 / households;
}

/**
 * The population simulator: merges every active app session into one
 * time-ordered, seeded, resumable stream of events.
 *
 * How it stays deterministic, resumable and small:
 * - Time is cut into one-minute slots. The app-session arrivals of a slot are
 *   a pure function of (seed, slot): a Poisson count whose mean follows the
 *   Brussels diurnal and weekly curves, each arrival with its own time,
 *   household, device and session seed.
 * - Everything about a raw arrival depends on raw arrivals at most
 *   {@linkcode MAX_SESSION_MS} away (arrivals.ts): its screen on how many of
 *   its household's arrivals run (by nominal lengths drawn apart from the
 *   screen), its end on the next raw arrival on that screen, whether it is
 *   kept on the ends of its household's arrivals of the last
 *   {@linkcode MAX_SESSION_MS}, whose screens depend on the
 *   {@linkcode MAX_SESSION_MS} before theirs.
 * - A session still running at a resume point started at most
 *   {@linkcode MAX_SESSION_MS} before it. Resuming at a position therefore
 *   replays three times that of raw arrivals (cheap: no events),
 *   fast-forwards the sessions still running, and skips what was already
 *   emitted; a fresh start does the same, so that both see the same
 *   history. Memory holds active sessions and the raw arrivals of the
 *   lookback and lookahead, never the population.
 *
 * @module
 */
import { Arrivals, SLOT_MS } from "./arrivals.ts";
import type { TelemetryEvent } from "./event.ts";
import { expandHousehold } from "./household.ts";
import { type Catalog, DEFAULT_CATALOG } from "./catalog.ts";
import { Incidents } from "./incident_effects.ts";
import type { Incident } from "../world/incidents.ts";
import {
  eventJson,
  type EventParts,
  seedLanes,
  sessionLanes,
} from "./event_line.ts";
import { appSession, MAX_SESSION_MS, type SessionContext } from "./session.ts";
import { type Entry, SessionHeap } from "./session_heap.ts";
import { StepDriver } from "./steps.ts";

export { SLOT_MS, slotArrivalMean } from "./arrivals.ts";

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
  /**
   * Thin the audience to about this many events/s (live `--rate`): whole
   * households drop out, so every session kept is one the population has.
   */
  rate?: number;
  /** Only the households h with h % count == index: one of N disjoint slices. */
  shard?: { index: number; count: number };
  /** The world simulated (a scenario's); Belgium by default. */
  catalog?: Catalog;
  /** What goes wrong, and when. */
  incidents?: readonly Incident[];
}

/**
 * One event as the pipeline sends it: its JSON text (fields in a fixed
 * order, exactly as `JSON.stringify` writes them), or the parts that text
 * is made of (to write it as UTF-8 without building it: event_line.ts).
 */
export interface SimRecord extends EventParts {
  /** The event's JSON text, built when first read. */
  readonly json: string;
  tvId: string;
  /**
   * The session's place in arrival order: with `t`, the stream's sort key
   * (shards of one stream merge back into it by (t, ord)).
   */
  ord: number;
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
  /** Adds an incident to the running stream (a live trigger). */
  addIncident(incident: Incident): void;
}

/** Creates a simulator for a population and window. */
export function createSimulator(options: SimulatorOptions): Simulator {
  return new Stream(options);
}

/** The merged stream of every running session's events. */
class Stream implements Simulator {
  readonly #options: SimulatorOptions;
  readonly #catalog: Catalog;
  readonly #incidents: Incidents;
  readonly #endMs: number;
  /** First instant emitted: the start, or the resume point. */
  readonly #emitFrom: number;
  readonly #heap = new SessionHeap();
  readonly #arrivals: Arrivals;
  /** The seed's part of every event id (seedLanes). */
  readonly #lanes: readonly number[];
  readonly #record = new Line();
  /** Events at exactly `emitFrom` already emitted before a resume. */
  #skipAtStart: number;
  #seq: number;
  #lastT: number;
  #atLastT: number;
  /** Next slot to admit. */
  #slot: number;

  constructor(options: SimulatorOptions) {
    const resume = options.resume;
    this.#options = options;
    this.#catalog = options.catalog ?? DEFAULT_CATALOG;
    this.#incidents = new Incidents(options.incidents ?? []);
    this.#lanes = seedLanes(options.seed);
    this.#endMs = options.endMs ?? Infinity;
    this.#emitFrom = resume ? resume.t : options.startMs;
    this.#skipAtStart = resume ? resume.n : 0;
    this.#seq = resume ? resume.seq : 0;
    this.#lastT = resume ? resume.t : options.startMs;
    this.#atLastT = resume ? resume.n : 0;
    this.#arrivals = new Arrivals(
      options.seed,
      options.households,
      options.rate,
      options.shard,
      this.#catalog,
      this.#incidents,
    );
    this.#slot = Math.floor((this.#emitFrom - 3 * MAX_SESSION_MS) / SLOT_MS);
  }

  peekTime(): number | undefined {
    return this.#top()?.t;
  }

  nextRecord(): SimRecord | undefined {
    const head = this.#top();
    if (!head) return undefined;
    const t = head.t;
    this.#record.set(head);
    this.#advance(head);
    if (t === this.#lastT) this.#atLastT++;
    else {
      this.#lastT = t;
      this.#atLastT = 1;
    }
    this.#seq++;
    return this.#record;
  }

  next(): TelemetryEvent | undefined {
    const r = this.nextRecord();
    return r ? JSON.parse(r.json) as TelemetryEvent : undefined;
  }

  position(): Position {
    return { seq: this.#seq, t: this.#lastT, n: this.#atLastT };
  }

  addIncident(incident: Incident): void {
    this.#incidents.add(incident);
  }

  activeSessions(): number {
    return this.#heap.size;
  }

  /** Makes sure the heap top is the next event; returns it or undefined. */
  #top(): Entry | undefined {
    while (true) {
      const head = this.#heap.top;
      const nextSlotStart = this.#slot * SLOT_MS;
      if (
        (head === undefined || head.t >= nextSlotStart) &&
        nextSlotStart < this.#endMs
      ) {
        this.#admitSlot();
        continue;
      }
      if (head === undefined || head.t >= this.#endMs) return undefined;
      if (this.#skipAtStart > 0 && head.t === this.#emitFrom) {
        this.#skipAtStart--;
        this.#advance(head);
        continue;
      }
      return head;
    }
  }

  /** Starts the sessions of the next slot that reach into the window. */
  #admitSlot(): void {
    const slot = this.#slot;
    for (const a of this.#arrivals.admit(slot)) {
      if (a.rawEnd <= this.#emitFrom || a.t >= this.#endMs) continue;
      const household = expandHousehold(a.household, this.#catalog);
      const device = household.devices[a.device]!;
      const userId = device.owner >= 0
        ? household.userIds[device.owner]!
        : household.userIds[
          household.watchers[a.rng.int(household.watchers.length)]!
        ]!;
      const ctx: SessionContext = {
        rng: a.rng,
        household,
        device,
        userId,
        startMs: a.t,
        endMs: a.rawEnd,
        emitFrom: this.#emitFrom,
        t: a.t,
        event: "",
        n: 0,
        sharedJson: "",
        sharedUtf8: undefined,
        positionSec: 0,
        bitrateKbps: 0,
        bufferHealthSec: 0,
        refJson: undefined,
        refUtf8: undefined,
        advertisers: this.#options.advertisers,
        catalog: this.#catalog,
        incidents: this.#incidents,
        appSessionId: `AS_${slot.toString(36)}${
          a.i.toString(36).padStart(3, "0")
        }`,
      };
      const steps = new StepDriver(appSession(ctx));
      // Fast-forward sessions that started before the first emitted instant.
      let fields = steps.next();
      while (fields !== undefined && ctx.t! < this.#emitFrom) {
        fields = steps.next();
      }
      if (fields !== undefined) {
        const ord = slot * 1_048_576 + a.i;
        this.#heap.push({
          ctx,
          t: ctx.t!,
          ord,
          lanes: sessionLanes(this.#lanes, ord),
          type: ctx.event!,
          fields,
          steps,
        });
      }
    }
    this.#slot++;
  }

  /** Moves the top session on to its next event. */
  #advance(head: Entry): void {
    const fields = head.steps.next();
    if (fields === undefined) this.#heap.pop();
    else {
      head.type = head.ctx.event!;
      head.fields = fields;
      head.t = head.ctx.t!;
      this.#heap.reorder();
    }
  }
}

/** The record {@linkcode Stream.nextRecord} fills (and reuses). */
class Line implements SimRecord {
  event = "";
  t = 0;
  lanes: readonly number[] = [];
  n = 0;
  ctx!: SessionContext;
  fields = "";
  positionSec = 0;
  bitrateKbps = 0;
  bufferHealthSec = 0;
  tvId = "";
  ord = 0;
  #json: string | undefined;

  get json(): string {
    return this.#json ??= eventJson(this);
  }

  /** Takes the parts of `head`'s next event (before it moves on). */
  set(head: Entry): void {
    const ctx = head.ctx;
    this.event = head.type;
    this.t = head.t;
    this.lanes = head.lanes;
    this.n = ctx.n!;
    this.ctx = ctx;
    this.fields = head.fields;
    if (head.type === "heartbeat") {
      this.positionSec = ctx.positionSec!;
      this.bitrateKbps = ctx.bitrateKbps!;
      this.bufferHealthSec = ctx.bufferHealthSec!;
    }
    this.tvId = ctx.device.tvId;
    this.ord = head.ord;
    this.#json = undefined;
  }
}

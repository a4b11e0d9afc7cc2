/**
 * The generator loop: pulls events from the simulator, paces them (wall
 * clock in live mode, `--rate` tokens), batches them and sends them.
 *
 * @module
 */
import type { GeneratorSettings } from "../config.ts";
import {
  createSimulator,
  type Position,
  type Simulator,
} from "../model/simulator.ts";
import {
  describeIncident,
  type Incident,
  type IncidentSpec,
} from "../world/incidents.ts";
import { placeIncidents } from "../world/incidents.ts";
import { defaultHouseholds, streamOptions } from "./window_sim.ts";
import { householdsForRate } from "../model/rate_profile.ts";
import type { Clock, OutRecord, Sink } from "../ports.ts";
import { emptyStats, type Stats } from "../protocol.ts";
import { Histogram } from "../live/histogram.ts";
import type { AudienceTally } from "../live/tally.ts";

/** Options of {@linkcode runGenerator}. */
export interface GeneratorRunOptions {
  settings: GeneratorSettings;
  sink: Sink;
  clock: Clock;
  signal: AbortSignal;
  /** Continue the stream after this position (restart-safe delivery). */
  resume?: Position;
  /** Called about once a second with running counters. */
  report?: (stats: Stats) => void;
  /** Called after each acknowledged batch with the position reached. */
  onAck?: (position: Position) => void | Promise<void>;
  /** Records per send. @default 2000 */
  batchSize?: number;
  /** Informational messages (population sizing). */
  log?: (message: string) => void;
  /** Advertiser catalog for ad events. */
  advertisers: readonly string[];
  /** Tallies the audience of the stream, for a live view with no consumer. */
  tally?: AudienceTally;
  /** Incidents triggered since the last call (the live view's), to start now. */
  incidents?: () => IncidentSpec[];
  /** Called with each triggered incident once it is placed in the stream. */
  onIncident?: (incident: Incident) => void;
}

/**
 * Returns the population and window the settings imply. A live `--rate`
 * stream keeps event time on the wall clock and thins its audience to the
 * rate (`thin`) instead of pacing events, which would let time fall behind.
 */
export function planPopulation(
  settings: GeneratorSettings,
  now: number,
): {
  households: number;
  startMs: number;
  endMs?: number;
  thin?: number;
  sized: boolean;
} {
  if (settings.fromMs !== undefined) {
    return {
      households: settings.households ?? defaultHouseholds(settings),
      startMs: settings.fromMs,
      ...(settings.toMs !== undefined ? { endMs: settings.toMs } : {}),
      sized: false,
    };
  }
  const rate = settings.rate && settings.rate > 0 ? settings.rate : undefined;
  if (rate === undefined) {
    return {
      households: settings.households ?? defaultHouseholds(settings),
      startMs: now,
      sized: false,
    };
  }
  return {
    households: settings.households ?? householdsForRate(rate),
    startMs: now,
    thin: rate,
    sized: settings.households === undefined,
  };
}

/** The simulator the options describe, and the plan it follows. */
function openSimulator(options: GeneratorRunOptions, now: number) {
  const { settings } = options;
  const plan = planPopulation(settings, now);
  if (plan.thin !== undefined) {
    options.log?.(
      `${plan.households} households${
        plan.sized ? "" : " (--households)"
      }, of which each day's audience keeps about ${plan.thin} events/s`,
    );
  }
  const sim = createSimulator({
    ...streamOptions(settings, plan.startMs, options.advertisers),
    households: plan.households,
    startMs: plan.startMs,
    ...(plan.endMs !== undefined ? { endMs: plan.endMs } : {}),
    ...(plan.thin !== undefined ? { rate: plan.thin } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
  });
  return { plan, sim };
}

/** Starts the incidents triggered since the last call, at the stream's simulated now. */
function startIncidents(
  options: GeneratorRunOptions,
  sim: Simulator,
  anchorMs: number,
  simNow: number,
): void {
  const specs = options.incidents?.() ?? [];
  for (const incident of placeIncidents(specs, anchorMs, simNow)) {
    sim.addIncident(incident);
    options.log?.(`incident started: ${describeIncident(incident)}`);
    options.onIncident?.(incident);
  }
}

/** Runs the generator until the window, count, duration or signal ends it. */
export async function runGenerator(
  options: GeneratorRunOptions,
): Promise<Stats> {
  const { settings, sink, clock, signal } = options;
  const batchSize = options.batchSize ?? 2000;
  const started = clock.now();
  const { plan, sim } = openSimulator(options, started);
  const live = settings.fromMs === undefined;
  const stats = emptyStats();
  const acks = new Histogram();
  const tally = options.tally;
  if (tally) stats.byType = tally.byType;
  const limit = settings.events ?? Infinity;
  const deadline = settings.durationSec !== undefined
    ? started + settings.durationSec * 1000
    : Infinity;
  // A backfill is paced by tokens; a live stream by its events' times.
  // `--rate` is the whole stream's: a slice (`--shard`) takes its share.
  const rate = !live && settings.rate && settings.rate > 0
    ? settings.rate / (settings.shard?.count ?? 1)
    : undefined;
  let lastReport = started;
  const alreadySent = options.resume?.seq ?? 0;
  let batch: OutRecord[] = [];

  // One send in flight while the next batch is generated: generation
  // overlaps the broker round trip, and with a single request in flight the
  // per-partition order (which the consumer's duplicate filter relies on)
  // and the acknowledged position stay exact.
  let inFlight: Promise<void> | undefined;
  let firstSend: number | undefined;
  const flush = async () => {
    if (inFlight) {
      const pending = inFlight;
      inFlight = undefined;
      await pending;
    }
    if (batch.length === 0) return;
    const records = batch;
    const position = sim.position();
    batch = [];
    const sent = clock.now();
    if (firstSend === undefined) stats.activeFrom = firstSend = sent;
    inFlight = sink.send(records).then(async () => {
      acks.observe((clock.now() - sent) / 1000);
      stats.produced += records.length;
      stats.activeMs = clock.now() - firstSend!;
      await options.onAck?.(position);
    });
    // Surfaced by the next flush; never an unhandled rejection meanwhile.
    inFlight.catch(() => {});
  };
  const drain = async () => {
    await flush();
    await flush();
  };

  while (!signal.aborted && stats.events < limit) {
    const now = clock.now();
    if (now >= deadline) break;
    if (now - lastReport >= 1000) {
      stats.activeSessions = sim.activeSessions();
      stats.ackSeconds = acks.data();
      stats.heapUsed = Deno.memoryUsage().heapUsed;
      if (tally) stats.audience = tally.figures();
      options.report?.({ ...stats });
      lastReport = now;
      startIncidents(options, sim, plan.startMs, stats.simTime || now);
    }
    const nextT = sim.peekTime();
    if (nextT === undefined) {
      // The window is exhausted (not stopped early): say so, so that the
      // consumer can close its last days.
      if (plan.endMs !== undefined) stats.windowEndMs = plan.endMs;
      break;
    }
    let wait = 0;
    if (live && nextT > now) wait = nextT - now;
    if (rate !== undefined) {
      const due = started + (stats.events - 0) * 1000 / rate;
      if (due > now) wait = Math.max(wait, due - now);
    }
    if (wait > 0) {
      // Send what is ready before sleeping, so that latency stays low.
      await drain();
      await clock.sleep(Math.min(wait, 250), signal);
      continue;
    }
    const r = sim.nextRecord()!;
    stats.events++;
    stats.simTime = nextT;
    stats.bytes += r.json.length;
    tally?.observeText(r.event, r.tvId, nextT, r.json);
    batch.push({
      key: r.tvId,
      value: r.json,
      timestamp: nextT,
      event: r.event,
      seq: alreadySent + stats.events - 1,
    });
    if (batch.length >= batchSize) await flush();
  }
  await drain();
  stats.activeSessions = sim.activeSessions();
  stats.ackSeconds = acks.data();
  if (tally) stats.audience = tally.figures();
  return stats;
}

/**
 * The live view's state on the main thread: the workers' latest reports,
 * turned once a second into a {@linkcode LiveSnapshot} that the dashboard,
 * `/api/stats` and `/metrics` all serve, so that every endpoint shows the
 * same figures. History is bounded: ten minutes of per-second rates.
 *
 * @module
 */
import { describeIncident } from "../world/incidents.ts";
import type { PipelineConfig } from "../config.ts";
import type {
  AudienceFigures,
  HistogramData,
  PartitionFigures,
  Report,
  Role,
  Stats,
} from "../protocol.ts";
import { type Band, QUALITY_BANDS } from "../validate/bands.ts";

/** Seconds of per-second history kept and served. */
export const HISTORY_SECONDS = 600;
const TOP_CHANNELS = 10;
const WARNINGS_KEPT = 20;

/** One second of throughput. */
export interface LivePoint {
  /** Wall clock, ms. */
  t: number;
  generated: number;
  produced: number;
  consumed: number;
  /** Events per type in that second (landed, or generated with no consumer). */
  byType: Record<string, number>;
}

/** A quality figure with its target band. */
export interface BandedFigure {
  value: number | null;
  band: Band;
}

/** Everything the live view shows, as of one second. */
export interface LiveSnapshot {
  seq: number;
  at: number;
  startedAt: number;
  command: PipelineConfig["command"];
  topic: string;
  transport: "kafka" | "embedded";
  done: boolean;
  pipeline: {
    generated: number;
    produced: number;
    consumed: number;
    rows: number;
    files: number;
    bytes: number;
    rejected: number;
    rejectedBy: Record<string, number>;
    duplicates: number;
    lost: number;
    lag: number;
    partitions: Record<string, PartitionFigures>;
    landed: Record<string, { rows: number; files: number }>;
    checkpointAgeSec: number | null;
    watermark: number | null;
    simTime: number | null;
    openFiles: number;
    retries: Record<string, number>;
  };
  /** Per second over the last second. */
  rates: LivePoint;
  /** Events by type so far: landed, or generated with no consumer. */
  totalsByType: Record<string, number>;
  audience: {
    asOf: number;
    viewersTotal: number;
    topChannels: { channel: string; viewers: number }[];
    viewers: Record<string, number>;
    byService: Record<string, number>;
    byDevice: Record<string, number>;
    byRegion: Record<string, number>;
    adMinutesPerHour: Record<string, number>;
  } | null;
  quality: {
    attempts: number;
    rebufferingRatio: BandedFigure;
    videoStartFailures: BandedFigure;
    exitsBeforeVideoStart: BandedFigure;
    startupP50Ms: BandedFigure;
    startupP90Ms: BandedFigure;
  } | null;
  histograms: { flushSeconds?: HistogramData; ackSeconds?: HistogramData };
  memory: { rss: number; heapUsed: Record<string, number> };
  warnings: string[];
  /** Incidents triggered on this run, as `--incident` would write them, with their windows. */
  incidents: { spec: string; fromMs: number; toMs: number }[];
}

/** The workers' reports, folded into snapshots. */
export class LiveState {
  readonly #config: PipelineConfig;
  readonly #stats = new Map<Role, Stats>();
  readonly #retries: Record<string, number> = {};
  readonly #warnings: string[] = [];
  readonly #incidents: LiveSnapshot["incidents"] = [];
  readonly #history: LivePoint[] = [];
  readonly #listeners = new Set<(s: LiveSnapshot) => void>();
  readonly #startedAt: number;
  #previous: { t: number; totals: LivePoint } | undefined;
  #snapshot: LiveSnapshot;
  #seq = 0;
  #done = false;

  /** Empty state for one command. */
  constructor(config: PipelineConfig, now = Date.now()) {
    this.#config = config;
    this.#startedAt = now;
    this.#snapshot = this.#build(now);
  }

  /** Takes a worker's report (log lines should be redacted already). */
  report(report: Report): void {
    switch (report.type) {
      case "progress":
        this.#stats.set(report.role, report.stats);
        break;
      case "stopped":
        // A stop report carries counters only: keep the last figures.
        this.#stats.set(report.role, {
          ...this.#stats.get(report.role),
          ...report.stats,
        });
        break;
      case "retry":
        this.#retries[report.error] = (this.#retries[report.error] ?? 0) + 1;
        break;
      case "incident":
        this.#incidents.push({
          spec: describeIncident(report.incident),
          fromMs: report.incident.fromMs,
          toMs: report.incident.toMs,
        });
        break;
      case "log":
        if (report.level !== "warn") break;
        this.#warnings.push(`${report.role}: ${report.message}`);
        if (this.#warnings.length > WARNINGS_KEPT) this.#warnings.shift();
        break;
    }
  }

  /** Marks the run as over (the last snapshot says so). */
  finish(now = Date.now()): void {
    this.#done = true;
    this.tick(now);
  }

  /** Builds this second's snapshot and hands it to every subscriber. */
  tick(now = Date.now()): LiveSnapshot {
    this.#snapshot = this.#build(now);
    this.#history.push(this.#snapshot.rates);
    if (this.#history.length > HISTORY_SECONDS) this.#history.shift();
    for (const listener of this.#listeners) listener(this.#snapshot);
    return this.#snapshot;
  }

  /** The latest snapshot. */
  get snapshot(): LiveSnapshot {
    return this.#snapshot;
  }

  /** The last ten minutes, one point a second, oldest first. */
  get history(): readonly LivePoint[] {
    return this.#history;
  }

  /** Calls `listener` with every new snapshot; returns the unsubscribe. */
  subscribe(listener: (s: LiveSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #build(now: number): LiveSnapshot {
    const g = this.#stats.get("generator");
    const c = this.#stats.get("consumer");
    const memory = Deno.memoryUsage();
    const heapUsed: Record<string, number> = { main: memory.heapUsed };
    for (const [role, s] of this.#stats) {
      if (s.heapUsed !== undefined) heapUsed[role] = s.heapUsed;
    }
    return {
      seq: this.#seq++,
      at: now,
      startedAt: this.#startedAt,
      command: this.#config.command,
      topic: this.#config.topic,
      transport: this.#config.kafka ? "kafka" : "embedded",
      done: this.#done,
      pipeline: this.#pipeline(g, c, now),
      rates: this.#rates(g, c, now),
      totalsByType: { ...(c ?? g)?.byType },
      ...audienceAndQuality((c ?? g)?.audience),
      histograms: {
        ...(c?.flushSeconds ? { flushSeconds: c.flushSeconds } : {}),
        ...(g?.ackSeconds ? { ackSeconds: g.ackSeconds } : {}),
      },
      memory: { rss: memory.rss, heapUsed },
      warnings: [...this.#warnings],
      incidents: [...this.#incidents],
    };
  }

  #pipeline(
    g: Stats | undefined,
    c: Stats | undefined,
    now: number,
  ): LiveSnapshot["pipeline"] {
    const partitions = { ...c?.partitionFigures };
    let lag = 0;
    for (const p of Object.values(partitions)) lag += p.lag;
    // The embedded stream has one partition, and its lag is what was
    // generated and not yet consumed.
    if (!this.#config.kafka && g && c) {
      lag = Math.max(0, g.events - c.events);
      for (const [k, p] of Object.entries(partitions)) {
        partitions[k] = { ...p, lag };
      }
    }
    return {
      generated: g?.events ?? 0,
      // The generator counts each batch once the transport acknowledged it.
      produced: g?.produced ?? 0,
      consumed: c?.events ?? 0,
      rows: c?.rows ?? 0,
      files: c?.files ?? 0,
      bytes: c?.bytes ?? 0,
      rejected: c?.rejected ?? 0,
      rejectedBy: { ...c?.rejectedBy },
      duplicates: c?.duplicates ?? 0,
      lost: c?.lost ?? 0,
      // Embedded, the lag is what was generated and not yet consumed.
      lag: this.#config.kafka || !g || !c
        ? lag
        : Math.max(0, g.events - c.events),
      partitions,
      landed: c?.landed ?? {},
      checkpointAgeSec: c?.checkpointAt ? (now - c.checkpointAt) / 1000 : null,
      watermark: c?.watermark ? c.watermark : null,
      simTime: g?.simTime ? g.simTime : null,
      openFiles: c?.openFiles ?? 0,
      retries: { ...this.#retries },
    };
  }

  /** Per-second rates since the previous tick. */
  #rates(g: Stats | undefined, c: Stats | undefined, now: number): LivePoint {
    const totals: LivePoint = {
      t: now,
      generated: g?.events ?? 0,
      produced: g?.produced ?? 0,
      consumed: c?.events ?? 0,
      byType: { ...(c ?? g)?.byType },
    };
    const prev = this.#previous;
    this.#previous = { t: now, totals };
    if (!prev || now <= prev.t) {
      return { t: now, generated: 0, produced: 0, consumed: 0, byType: {} };
    }
    const secs = (now - prev.t) / 1000;
    const per = (a: number, b: number) => Math.max(0, (a - b) / secs);
    const byType: Record<string, number> = {};
    for (const [type, n] of Object.entries(totals.byType)) {
      byType[type] = per(n, prev.totals.byType[type] ?? 0);
    }
    return {
      t: now,
      generated: per(totals.generated, prev.totals.generated),
      produced: per(totals.produced, prev.totals.produced),
      consumed: per(totals.consumed, prev.totals.consumed),
      byType,
    };
  }
}

function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

/** The audience and quality parts of a snapshot. */
function audienceAndQuality(
  a: AudienceFigures | undefined,
): Pick<LiveSnapshot, "audience" | "quality"> {
  if (!a) return { audience: null, quality: null };
  const top = Object.entries(a.viewers)
    .sort(([x, m], [y, n]) => n - m || (x < y ? -1 : 1))
    .slice(0, TOP_CHANNELS)
    .map(([channel, viewers]) => ({ channel, viewers }));
  const q = a.quality;
  const b = QUALITY_BANDS;
  return {
    audience: {
      asOf: a.asOf,
      viewersTotal: Object.values(a.viewers).reduce((s, n) => s + n, 0),
      topChannels: top,
      viewers: a.viewers,
      byService: a.byService,
      byDevice: a.byDevice,
      byRegion: a.byRegion,
      adMinutesPerHour: a.adMinutesPerHour,
    },
    quality: {
      attempts: q.attempts,
      rebufferingRatio: {
        value: ratio(q.rebufferSec, q.playSec + q.rebufferSec),
        band: b.rebufferingRatio,
      },
      videoStartFailures: {
        value: ratio(q.failures, q.attempts),
        band: b.videoStartFailures,
      },
      exitsBeforeVideoStart: {
        value: ratio(q.exits, q.attempts),
        band: b.exitsBeforeVideoStart,
      },
      startupP50Ms: { value: q.startupP50Ms, band: b.startupP50Ms },
      startupP90Ms: { value: q.startupP90Ms, band: b.startupP90Ms },
    },
  };
}

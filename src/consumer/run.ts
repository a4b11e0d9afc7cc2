/**
 * The consumer loop: transport -> validated rows -> date-partitioned Parquet,
 * exactly once.
 *
 * A partition is ours from "assigned" until "revoked" (partitions.ts). On
 * revocation we flush what we hold (still holding the locks, so the next
 * owner waits for it and starts at our checkpoint) and release the locks:
 * rows read are not read again, which matters when a slow rejoin lets
 * retention catch up. Records are buffered by rows.ts, made durable by a
 * flush (flush.ts, which states the durability order), and the run ends as
 * completion.ts decides.
 *
 * @module
 */
import type { SinkSettings } from "../config.ts";
import type {
  CheckpointStore,
  Clock,
  Delivery,
  Source,
  Warehouse,
} from "../ports.ts";
import { type DrainRange, emptyStats, type Stats } from "../protocol.ts";
import { Completion } from "./completion.ts";
import { Flusher, type Timing } from "./flush.ts";
import { Partitions } from "./partitions.ts";
import { Rows } from "./rows.ts";
import type { AudienceTally } from "../live/tally.ts";

export { loadPartitionCheckpoint } from "./partitions.ts";

/** Options of {@linkcode runConsumer}. */
export interface ConsumerRunOptions {
  topic: string;
  settings: SinkSettings;
  source: Source;
  warehouse: Warehouse;
  store: CheckpointStore;
  clock: Clock;
  signal: AbortSignal;
  report?: (stats: Stats) => void;
  /** Tallies the audience and quality of the rows landed, for the live view. */
  tally?: AudienceTally;
  log?: (message: string) => void;
  /** Test hook: called after each step of a flush; throwing simulates a crash there. */
  crashHook?: (step: FlushStep) => void;
  /** Largest record accepted, in bytes. @default 1 MiB */
  maxRecordBytes?: number;
  /** How long to wait for a partition lock. @default 60 s */
  lockTimeoutMs?: number;
  /**
   * A bounded run: settles with each partition's end offset; the consumer
   * finishes once every one of them is checkpointed.
   */
  drain?: Promise<DrainRange>;
  /**
   * How long draining, or catching up before `--until-idle` ends, may make
   * no progress before it is an error. @default 300 s
   */
  retryTimeoutMs?: number;
  /**
   * The embedded stream's fingerprint: checkpoints record it, and one
   * written by another stream (other generator flags) is refused.
   */
  stream?: string;
}

/** The steps of a flush, in order, for crash tests. */
export type FlushStep = "encoded" | "landed" | "checkpointed" | "committed";

/** Runs the consumer until the source ends, the signal aborts or it is idle. */
export async function runConsumer(
  options: ConsumerRunOptions,
): Promise<Stats> {
  const run = new ConsumerRun(options);
  try {
    await run.loop();
  } finally {
    await run.close();
  }
  return run.stats;
}

/** One consumer run's state and loop. */
class ConsumerRun {
  readonly stats = emptyStats();
  readonly #o: ConsumerRunOptions;
  readonly #timing: Timing;
  readonly #partitions: Partitions;
  readonly #rows: Rows;
  readonly #flusher: Flusher;
  readonly #completion: Completion;
  /**
   * Idle time counts only while we own partitions: joining a group whose
   * dead members have not timed out yet is waiting, not idleness.
   */
  #owning = false;
  readonly #startedAt: number;
  // Aborting `stop` ends the source's iterator cleanly (idle, or our own
  // stop); `return()` alone would wait for a fetch that may never come.
  readonly #stop = new AbortController();
  readonly #onOuterAbort = () => this.#stop.abort();
  readonly #iterator: AsyncIterator<Delivery>;
  readonly #idleMs: number | undefined;
  readonly #flushMs: number;

  constructor(options: ConsumerRunOptions) {
    const report = options.report;
    // Every report carries the live view's figures, read as it is sent.
    if (report) options = { ...options, report: (s) => report(this.#live(s)) };
    this.#o = options;
    const now = options.clock.now();
    this.#startedAt = now;
    this.#timing = {
      lastTaken: 0,
      lastFlush: now,
      lastData: now,
      lastReport: now,
    };
    this.#partitions = new Partitions(options, this.stats);
    this.#rows = new Rows(
      options.topic,
      options.maxRecordBytes ?? 1 << 20,
      this.stats,
      this.#partitions,
      options.tally,
    );
    const run = {
      options,
      stats: this.stats,
      partitions: this.#partitions,
      rows: this.#rows,
      timing: this.#timing,
    };
    this.#flusher = new Flusher(run);
    this.#completion = new Completion(run, this.#flusher);
    const { settings, signal, source } = options;
    this.#idleMs = settings.untilIdleSec !== undefined
      ? settings.untilIdleSec * 1000
      : undefined;
    this.#flushMs = settings.flushIntervalSec * 1000;
    signal.addEventListener("abort", this.#onOuterAbort);
    this.#iterator = source.deliveries({ signal: this.#stop.signal })[
      Symbol.asyncIterator
    ]();
  }

  /** `stats` with the per-partition and audience figures of this moment. */
  #live(stats: Stats): Stats {
    const figures: Stats["partitionFigures"] = {};
    for (const [p, o] of this.#partitions.owned) {
      figures[String(p)] = { lag: o.lag, offset: Number(o.cp.next) };
    }
    return {
      ...stats,
      partitionFigures: figures,
      watermark: this.#partitions.watermark(),
      openFiles: this.#rows.buffers.size,
      heapUsed: Deno.memoryUsage().heapUsed,
      ...(this.#o.tally ? { audience: this.#o.tally.figures() } : {}),
    };
  }

  /** Reads and handles deliveries until the run is over, then lands what is left. */
  async loop(): Promise<void> {
    const { signal } = this.#o;
    while (!signal.aborted) {
      const pending = this.#iterator.next();
      const result = await this.#wait(pending);
      if (result === "tick") {
        // Idle or aborted: stop reading and let the pending fetch finish.
        this.#stop.abort();
        await pending.catch(() => {});
        break;
      }
      if (result.done) break;
      if (await this.#handle(result.value)) break;
    }
    await this.#flusher.flush();
    await this.#flusher.closeDays();
  }

  /** Stops reading and releases every lock still held. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#o.signal.removeEventListener("abort", this.#onOuterAbort);
    await this.#iterator.return?.();
    for (const p of this.#partitions.owned.keys()) {
      await this.#o.store.release(p).catch(() => {});
    }
  }

  /**
   * Waits for the next delivery, waking up to flush on time and to notice
   * idleness or the drain's end even without data: resolves with the
   * delivery, or "tick" when the run should stop reading.
   */
  async #wait(
    pending: Promise<IteratorResult<Delivery>>,
  ): Promise<IteratorResult<Delivery> | "tick"> {
    const { clock, signal } = this.#o;
    const timing = this.#timing;
    for (;;) {
      const waitMs = Math.max(
        20,
        Math.min(
          1000,
          this.#flushMs - (clock.now() - timing.lastFlush),
          this.#idleMs !== undefined
            ? this.#idleMs - this.#idleFor(clock.now())
            : Infinity,
        ),
      );
      const tick = new AbortController();
      let result: IteratorResult<Delivery> | "tick";
      try {
        result = await Promise.race([
          pending,
          clock.sleep(waitMs, AbortSignal.any([signal, tick.signal])).then(
            () => "tick" as const,
          ),
        ]);
      } finally {
        // Also when the source failed: no timer outlives the loop.
        tick.abort();
      }
      if (result !== "tick" || signal.aborted) return result;
      if (await this.#onTick()) return "tick";
    }
  }

  /** Timer duties while waiting; returns true when the run is over. */
  async #onTick(): Promise<boolean> {
    const now = this.#o.clock.now();
    if (now - this.#timing.lastFlush >= this.#flushMs) {
      await this.#flusher.flush();
    }
    if (
      this.#idleMs !== undefined && this.#idleFor(now) >= this.#idleMs &&
      await this.#completion.caughtUp(this.#o.source)
    ) return true;
    if (await this.#completion.drained()) return true;
    if (now - this.#timing.lastReport >= 1000) {
      this.#o.report?.(this.stats);
      this.#timing.lastReport = now;
    }
    return false;
  }

  /** Before the first assignment idle time counts after a rebalance-sized grace. */
  #idleFor(now: number): number {
    const lastData = this.#timing.lastData;
    return this.#owning
      ? now - lastData
      : now - Math.max(lastData, this.#startedAt + 60_000);
  }

  /** Handles one delivery; returns true when the run is over. */
  async #handle(delivery: Delivery): Promise<boolean> {
    const { clock, settings } = this.#o;
    const timing = this.#timing;
    switch (delivery.type) {
      case "assigned":
        await this.#partitions.assign(delivery.partitions);
        this.#owning = true;
        timing.lastData = clock.now();
        return false;
      case "revoked":
        await this.#flusher.flush();
        this.#rows.discard();
        await this.#partitions.release();
        this.#owning = false;
        timing.lastData = clock.now();
        return false;
      case "complete":
        this.#flusher.completeUntil = delivery.until;
        return false;
      case "batch":
        timing.lastData = clock.now();
        if (timing.firstData === undefined) {
          this.stats.activeFrom = timing.firstData = timing.lastData;
        }
        this.#rows.take(delivery.batch);
        timing.lastTaken = clock.now();
        this.#completion.progressed();
        break;
    }
    // Per batch, the drain is checked only once this batch's partition
    // has reached its end (the tick checks it at least once a second).
    if (
      this.#completion.draining &&
      this.#completion.reached(delivery.batch.partition) &&
      await this.#completion.drained()
    ) return true;
    if (clock.now() - timing.lastReport >= 1000) {
      this.#o.report?.(this.stats);
      timing.lastReport = clock.now();
    }
    if (
      this.#rows.fullest >= settings.maxFileRows ||
      clock.now() - timing.lastFlush >= this.#flushMs
    ) await this.#flusher.flush();
    return false;
  }
}

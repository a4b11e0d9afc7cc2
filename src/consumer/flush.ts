/**
 * A flush, the consumer's unit of durability, in this order:
 * 1. encode each (date, partition) buffer and the rejected records;
 * 2. land every file: temp name, fsync, rename, fsync the directory;
 * 3. save each partition's checkpoint (same atomic write);
 * 4. commit the offsets to the transport (a lagging hint for lag tools);
 * 5. report.
 * Then days that can no longer receive events are closed: `_SUCCESS`, and
 * their small files compacted.
 *
 * @module
 */
import { dataFileName, rejectedFileName } from "../warehouse/partition.ts";
import {
  type PartitionCheckpoint,
  stringifyCheckpoint,
} from "../warehouse/checkpoint.ts";
import { DAY_MS } from "../model/time.ts";
import type { OffsetMap, WarehouseFile } from "../ports.ts";
import type { Stats } from "../protocol.ts";
import { Histogram } from "../live/histogram.ts";
import type { Owned, Partitions } from "./partitions.ts";
import type { Rows } from "./rows.ts";
import type { ConsumerRunOptions } from "./run.ts";

/** What the parts of one consumer run share. */
export interface RunContext {
  options: ConsumerRunOptions;
  stats: Stats;
  partitions: Partitions;
  rows: Rows;
  timing: Timing;
}

/** When things last happened in a run (clock ms). */
export interface Timing {
  /** The first batch. */
  firstData?: number;
  /** The last batch taken: the stream's end, if nothing follows. */
  lastTaken: number;
  lastFlush: number;
  /** The last batch or rebalance. */
  lastData: number;
  lastReport: number;
}

/** Flushes and closes days for one consumer run. */
export class Flusher {
  /**
   * Set when the source says no earlier event can follow (a finished
   * bounded window): days ending by then close without waiting for grace.
   */
  completeUntil = -Infinity;
  readonly #closed = new Set<string>();
  readonly #o: ConsumerRunOptions;
  readonly #stats: Stats;
  readonly #partitions: Partitions;
  readonly #rows: Rows;
  readonly #timing: Timing;
  readonly #durations = new Histogram();

  /** A flusher over the run's partitions and buffers. */
  constructor(run: RunContext) {
    ({
      options: this.#o,
      stats: this.#stats,
      partitions: this.#partitions,
      rows: this.#rows,
      timing: this.#timing,
    } = run);
  }

  /** Makes everything taken so far durable (no-op when nothing is). */
  async flush(): Promise<void> {
    const { clock, crashHook } = this.#o;
    const dirty = [...this.#partitions.owned].filter(([, o]) => o.dirty);
    if (dirty.length === 0) return;
    const flushStart = clock.now();
    const { files, rowsBy, rejectedBy } = this.#encode();
    crashHook?.("encoded");
    await this.#o.warehouse.writeFiles(files);
    crashHook?.("landed");
    const offsets = await this.#checkpoint(dirty, rowsBy, rejectedBy);
    crashHook?.("checkpointed");
    await this.#o.source.commit(offsets);
    crashHook?.("committed");
    const stats = this.#stats;
    stats.checkpointAt = clock.now();
    this.#durations.observe((clock.now() - flushStart) / 1000);
    stats.flushSeconds = this.#durations.data();
    for (const n of rowsBy.values()) stats.rows += n;
    this.#countLanded();
    // Active time ends with this flush, less any wait after the last batch
    // (the --until-idle wait, or a flush timer's): that is not work.
    const timing = this.#timing;
    if (timing.firstData !== undefined) {
      stats.activeMs = clock.now() - timing.firstData -
        Math.max(0, flushStart - timing.lastTaken);
    }
    stats.files += files.length;
    this.#rows.discard();
    timing.lastFlush = clock.now();
    await this.closeDays();
    this.#o.report?.({ ...stats });
  }

  /** Rows and files landed per date, for the live view. */
  #countLanded(): void {
    const landed = (this.#stats.landed ??= {});
    for (const b of this.#rows.buffers.values()) {
      const day = (landed[b.date] ??= { rows: 0, files: 0 });
      day.rows += b.columns.size;
      day.files++;
    }
  }

  /** Step 1: the files to land, and rows and rejects per partition. */
  #encode() {
    const files: WarehouseFile[] = [];
    const rowsBy = new Map<number, number>();
    const compression = this.#o.settings.compression;
    for (const b of this.#rows.buffers.values()) {
      const bytes = b.columns.encode({ compression });
      files.push({
        dir: `date=${b.date}`,
        name: dataFileName(b.partition, b.columns.first, b.columns.last),
        bytes,
      });
      rowsBy.set(b.partition, (rowsBy.get(b.partition) ?? 0) + b.columns.size);
      this.#stats.bytes += bytes.length;
    }
    const rejectedBy = new Map<number, number>();
    for (const [p, r] of this.#rows.rejects) {
      files.push({
        dir: "_rejected",
        name: rejectedFileName(p, r.first, r.last),
        bytes: new TextEncoder().encode(r.lines.join("\n") + "\n"),
      });
      rejectedBy.set(p, r.lines.length);
    }
    return { files, rowsBy, rejectedBy };
  }

  /** Step 3: saves each dirty partition's checkpoint; returns the offsets to commit. */
  async #checkpoint(
    dirty: [number, Owned][],
    rowsBy: Map<number, number>,
    rejectedBy: Map<number, number>,
  ): Promise<OffsetMap> {
    const offsets: OffsetMap = {};
    const now = new Date(this.#o.clock.now()).toISOString();
    for (const [p, o] of dirty) {
      const cp: PartitionCheckpoint = {
        ...o.cp,
        next: String(o.next),
        ...(o.maxSeq !== undefined ? { maxSeq: o.maxSeq } : {}),
        ...(o.shardSeqs ? { shardSeqs: { ...o.shardSeqs } } : {}),
        ...(o.pos ? { position: { ...o.pos } } : {}),
        ...(this.#o.stream !== undefined ? { stream: this.#o.stream } : {}),
        watermark: o.watermark,
        gaps: o.gaps,
        rows: o.cp.rows + (rowsBy.get(p) ?? 0),
        rejected: o.cp.rejected + (rejectedBy.get(p) ?? 0),
        updatedAt: now,
      };
      await this.#o.store.save(p, stringifyCheckpoint(cp));
      o.cp = cp;
      o.dirty = false;
      offsets[String(p)] = cp.next;
    }
    return offsets;
  }

  /** Closes the days past the late grace (or the complete window): `_SUCCESS`, then compaction. */
  async closeDays(): Promise<void> {
    const { warehouse, settings, log } = this.#o;
    const watermark = this.#partitions.watermark();
    for (const date of this.#rows.seenDates) {
      if (this.#closed.has(date)) continue;
      const end = Date.parse(`${date}T00:00:00Z`) + DAY_MS;
      if (
        watermark < end + settings.lateGraceSec * 1000 &&
        end > this.completeUntil
      ) continue;
      await warehouse.markComplete(date);
      this.#closed.add(date);
      log?.(`day ${date} is complete (_SUCCESS written)`);
      // Merge the day's small files, for the partitions we hold.
      const owned = new Set(this.#partitions.owned.keys());
      for (const r of await warehouse.compact(date, owned)) {
        log?.(
          `date=${r.date} partition ${r.partition}: compacted ${r.merged} files (${r.rows} rows)`,
        );
      }
    }
  }
}

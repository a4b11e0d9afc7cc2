/**
 * Ownership of partitions: on assignment take the partition's lock
 * (waiting while a previous owner finishes a flush), load its checkpoint,
 * remove the files an interrupted flush left beyond it, and seek the source
 * there; on revocation release the locks. A record range the broker no
 * longer has is lost: fail, or record the gap (`--on-data-loss`).
 *
 * @module
 */
import {
  emptyCheckpoint,
  parseCheckpoint,
  type PartitionCheckpoint,
} from "../warehouse/checkpoint.ts";
import type { Position } from "../model/simulator.ts";
import { FINGERPRINT_FLAGS } from "../generator/fingerprint.ts";
import type { CheckpointStore, OffsetMap } from "../ports.ts";
import type { ConsumerRunOptions } from "./run.ts";
import type { Stats } from "../protocol.ts";

/** A partition we own: its checkpoint and how far we are past it. */
export interface Owned {
  cp: PartitionCheckpoint;
  /** Next offset expected. */
  next: number;
  maxSeq: number | undefined;
  /** `maxSeq` of each producer slice (`--shard`), when records carry one. */
  shardSeqs: Record<string, number> | undefined;
  /** Generator position reached, kept as numbers (updated per record). */
  pos: Position | undefined;
  watermark: number;
  /** Records on the broker after the last one read (0 without a high watermark). */
  lag: number;
  /** Holds records not yet checkpointed. */
  dirty: boolean;
  gaps: { from: string; to: string }[];
}

/** Loads a partition's checkpoint, or an empty one; a corrupt file is an error. */
export async function loadPartitionCheckpoint(
  store: CheckpointStore,
  topic: string,
  partition: number,
  dir = "checkpoint",
): Promise<PartitionCheckpoint> {
  const text = await store.load(partition);
  const path = `${dir}/partitions/${partition}.json`;
  if (text === undefined) return emptyCheckpoint(topic, partition);
  const cp = parseCheckpoint(text, path);
  if (cp.topic !== topic || cp.partition !== partition) {
    throw new RangeError(
      `Cannot use checkpoint "${path}": it belongs to topic "${cp.topic}" partition ${cp.partition}, not "${topic}" partition ${partition}`,
    );
  }
  return cp;
}

/** Refuses a checkpoint that another embedded stream wrote. */
function checkStream(
  cp: PartitionCheckpoint,
  stream: string | undefined,
  dir: string,
): void {
  if (stream === undefined || cp.stream === undefined || cp.stream === stream) {
    return;
  }
  throw new RangeError(
    `Cannot resume from checkpoint "${dir}": it was written with other ${FINGERPRINT_FLAGS} flags; use another --checkpoint and --warehouse, or remove them`,
  );
}

/** The partitions this consumer owns. */
export class Partitions {
  /** Owned partitions by number. */
  readonly owned = new Map<number, Owned>();
  /** Where each partition without a checkpoint was first read from (its log start then). */
  readonly readFrom = new Map<number, number>();
  readonly #o: ConsumerRunOptions;
  readonly #stats: Stats;
  readonly #lockTimeoutMs: number;

  /** Ownership for one consumer run. */
  constructor(options: ConsumerRunOptions, stats: Stats) {
    this.#o = options;
    this.#stats = stats;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  }

  /** Takes `partitions`: locks, checkpoints, leftovers removed, source sought. */
  async assign(partitions: number[]): Promise<void> {
    const { store, warehouse, source, topic, settings } = this.#o;
    const fresh = new Map<number, number>();
    for (const p of partitions) {
      if (this.owned.has(p)) continue;
      await store.acquire(p, this.#lockTimeoutMs);
      let cp: PartitionCheckpoint;
      try {
        cp = await loadPartitionCheckpoint(
          store,
          topic,
          p,
          settings.checkpoint,
        );
        checkStream(cp, this.#o.stream, settings.checkpoint);
      } catch (error) {
        await store.release(p);
        throw error;
      }
      this.owned.set(p, {
        cp,
        next: Number(cp.next),
        maxSeq: cp.maxSeq,
        shardSeqs: cp.shardSeqs ? { ...cp.shardSeqs } : undefined,
        pos: cp.position ? { ...cp.position } : undefined,
        watermark: cp.watermark,
        lag: 0,
        dirty: false,
        gaps: [...cp.gaps],
      });
      fresh.set(p, Number(cp.next));
    }
    const removed = await warehouse.reconcile(fresh);
    if (removed.length > 0) {
      this.#o.log?.(
        `removed ${removed.length} uncommitted file(s) left by an interrupted flush`,
      );
    }
    const offsets: OffsetMap = {};
    for (const p of partitions) {
      const o = this.owned.get(p)!;
      // A partition never written starts at its log start.
      if (!isFresh(o)) offsets[String(p)] = String(o.next);
    }
    const starts = await source.seek(offsets, this.owned.get(0)?.cp.position);
    this.#startAt(starts ?? {});
  }

  /**
   * From here on, the first record of each partition must carry exactly
   * the offset it was sought to.
   */
  #startAt(starts: OffsetMap): void {
    for (const [key, start] of Object.entries(starts)) {
      const p = Number(key);
      const o = this.owned.get(p);
      if (!o) continue;
      if (isFresh(o)) {
        o.next = Number(start);
        // Started at the log start: what the producer wrote before it is lost.
        if (!this.readFrom.has(p)) {
          this.readFrom.set(p, o.next);
          // Without a checkpoint there is nothing to call it loss against,
          // but a user should know the table does not start at offset 0.
          if (o.next > 0) {
            this.#o.log?.(
              `partition ${p}: first read at offset ${o.next}, its log start (the broker no longer has the records before it)`,
            );
          }
        }
      } else if (Number(start) > o.next) this.lose(p, o, Number(start));
    }
  }

  /** Offsets [from, to) are gone: fail, or record the gap and go on from `to`. */
  lose(p: number, o: Owned, to: number, from = o.next): void {
    const { topic, settings } = this.#o;
    if (settings.onDataLoss === "fail") {
      throw new RangeError(
        `Data loss on topic "${topic}" partition ${p}: offsets ${from} to ${
          to - 1
        } are gone from the broker (retention?); rerun with --on-data-loss skip to continue and record the gap`,
      );
    }
    o.gaps.push({ from: String(from), to: String(to) });
    this.#stats.lost += to - from;
    this.#o.log?.(`skipped lost offsets ${from}..${to - 1} of partition ${p}`);
    o.next = Math.max(o.next, to);
    o.dirty = true;
  }

  /** Releases every lock and forgets the partitions. */
  async release(): Promise<void> {
    for (const p of this.owned.keys()) await this.#o.store.release(p);
    this.owned.clear();
  }

  /** The latest event time seen on any owned partition. */
  watermark(): number {
    let watermark = 0;
    for (const o of this.owned.values()) {
      watermark = Math.max(watermark, o.watermark);
    }
    return watermark;
  }
}

/** A partition never checkpointed. */
function isFresh(o: Owned): boolean {
  return o.cp.updatedAt === new Date(0).toISOString() && o.next === 0;
}

/**
 * The consumer loop: transport -> validated rows -> date-partitioned Parquet,
 * exactly once.
 *
 * Ownership: a partition is ours from "assigned" until "revoked". On
 * assignment we take its lock (waiting while a previous owner finishes a
 * flush), load its checkpoint, remove the files an interrupted flush left
 * beyond it, and seek the source there. On revocation we flush what we
 * hold (still holding the locks, so the next owner waits for it and starts
 * at our checkpoint) and release the locks: rows read are not read again,
 * which matters when a slow rejoin lets retention catch up.
 *
 * Durability order for every flush (stated once, here):
 * 1. encode each (date, partition) buffer and the rejected records;
 * 2. land every file: temp name, fsync, rename, fsync the directory;
 * 3. save each partition's checkpoint (same atomic write);
 * 4. commit the offsets to the transport (a lagging hint for lag tools);
 * 5. report.
 * Records below the checkpoint's offset, and records whose stream sequence
 * was already written (a re-produced event), are dropped.
 *
 * @module
 */
import type { SinkSettings } from "../config.ts";
import {
  emptyCheckpoint,
  parseCheckpoint,
  type PartitionCheckpoint,
  stringifyCheckpoint,
} from "../warehouse/checkpoint.ts";
import { eventProblem } from "../model/event.ts";
import { dataFileName, rejectedFileName } from "../warehouse/partition.ts";
import type { Position } from "../model/simulator.ts";
import { dateKey, DAY_MS } from "../model/time.ts";
import { ColumnBuffer } from "../warehouse/table.ts";
import type {
  CheckpointStore,
  Clock,
  Delivery,
  OffsetMap,
  RecordBatch,
  Source,
  Warehouse,
  WarehouseFile,
} from "../ports.ts";
import { type DrainRange, emptyStats, type Stats } from "../protocol.ts";

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
}

/** The steps of a flush, in order, for crash tests. */
export type FlushStep = "encoded" | "landed" | "checkpointed" | "committed";

interface Owned {
  cp: PartitionCheckpoint;
  next: number;
  maxSeq: number | undefined;
  /** Generator position reached, kept as numbers (updated per record). */
  pos: Position | undefined;
  watermark: number;
  dirty: boolean;
  rows: number;
  rejected: number;
  gaps: { from: string; to: string }[];
}

interface Buffer {
  date: string;
  partition: number;
  columns: ColumnBuffer;
}

interface RejectBuffer {
  first: number;
  last: number;
  lines: string[];
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Base64 of raw bytes, for rejected records. */
function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
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

/** Runs the consumer until the source ends, the signal aborts or it is idle. */
export async function runConsumer(
  options: ConsumerRunOptions,
): Promise<Stats> {
  const { topic, settings, source, warehouse, store, clock, signal } = options;
  const maxRecordBytes = options.maxRecordBytes ?? 1 << 20;
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  const stats = emptyStats();
  const owned = new Map<number, Owned>();
  const buffers = new Map<string, Buffer>();
  const rejects = new Map<number, RejectBuffer>();
  const seenDates = new Set<string>();
  const closed = new Set<string>();
  /** Rows in the fullest (date, partition) buffer: files roll per partition. */
  let fullest = 0;
  let firstData: number | undefined;
  /** When the last batch was taken: the stream's end, if nothing follows. */
  let lastTaken = 0;
  let lastFlush = clock.now();
  let lastData = clock.now();
  let lastReport = clock.now();
  // Idle time counts only while we own partitions: joining a group whose
  // dead members have not timed out yet is waiting, not idleness. Before the
  // first assignment it counts after a rebalance-sized grace.
  let owning = false;
  const startedAt = clock.now();
  const idleFor = (now: number) =>
    owning ? now - lastData : now - Math.max(lastData, startedAt + 60_000);

  // The buffer and date of the previous record: consecutive records almost
  // always share both, so the per-record Map lookup and date formatting are
  // skipped.
  let last: Buffer | undefined;
  let dayStart = 0;
  let dayEnd = 0;
  let day = "";
  const discard = () => {
    last = undefined;
    buffers.clear();
    rejects.clear();
    fullest = 0;
  };

  const flush = async () => {
    const dirty = [...owned].filter(([, o]) => o.dirty);
    if (dirty.length === 0) return;
    const flushStart = clock.now();
    const files: WarehouseFile[] = [];
    const rowsBy = new Map<number, number>();
    for (const b of buffers.values()) {
      const bytes = b.columns.encode({ compression: settings.compression });
      files.push({
        dir: `date=${b.date}`,
        name: dataFileName(b.partition, b.columns.first, b.columns.last),
        bytes,
      });
      rowsBy.set(
        b.partition,
        (rowsBy.get(b.partition) ?? 0) + b.columns.size,
      );
      stats.bytes += bytes.length;
    }
    const rejectedBy = new Map<number, number>();
    for (const [p, r] of rejects) {
      files.push({
        dir: "_rejected",
        name: rejectedFileName(p, r.first, r.last),
        bytes: new TextEncoder().encode(r.lines.join("\n") + "\n"),
      });
      rejectedBy.set(p, r.lines.length);
    }
    options.crashHook?.("encoded");
    await warehouse.writeFiles(files);
    options.crashHook?.("landed");
    const offsets: OffsetMap = {};
    const now = new Date(clock.now()).toISOString();
    for (const [p, o] of dirty) {
      const cp: PartitionCheckpoint = {
        ...o.cp,
        next: String(o.next),
        ...(o.maxSeq !== undefined ? { maxSeq: o.maxSeq } : {}),
        ...(o.pos ? { position: { ...o.pos } } : {}),
        watermark: o.watermark,
        gaps: o.gaps,
        rows: o.cp.rows + (rowsBy.get(p) ?? 0),
        rejected: o.cp.rejected + (rejectedBy.get(p) ?? 0),
        updatedAt: now,
      };
      await store.save(p, stringifyCheckpoint(cp));
      o.cp = cp;
      o.dirty = false;
      offsets[String(p)] = cp.next;
    }
    options.crashHook?.("checkpointed");
    await source.commit(offsets);
    options.crashHook?.("committed");
    for (const n of rowsBy.values()) stats.rows += n;
    // Active time ends with this flush, less any wait after the last batch
    // (the --until-idle wait, or a flush timer's): that is not work.
    if (firstData !== undefined) {
      stats.activeMs = clock.now() - firstData -
        Math.max(0, flushStart - lastTaken);
    }
    stats.files += files.length;
    discard();
    lastFlush = clock.now();
    await closeDays();
    options.report?.({ ...stats });
  };

  // Set when the source says no earlier event can follow (a finished
  // bounded window): days ending by then close without waiting for grace.
  let completeUntil = -Infinity;
  const closeDays = async () => {
    let watermark = 0;
    for (const o of owned.values()) {
      watermark = Math.max(watermark, o.watermark);
    }
    for (const date of seenDates) {
      if (closed.has(date)) continue;
      const end = Date.parse(`${date}T00:00:00Z`) + DAY_MS;
      if (
        watermark >= end + settings.lateGraceSec * 1000 ||
        end <= completeUntil
      ) {
        await warehouse.markComplete(date);
        closed.add(date);
        options.log?.(`day ${date} is complete (_SUCCESS written)`);
        // Merge the day's small files, for the partitions we hold.
        for (const r of await warehouse.compact(date, new Set(owned.keys()))) {
          options.log?.(
            `date=${r.date} partition ${r.partition}: compacted ${r.merged} files (${r.rows} rows)`,
          );
        }
      }
    }
  };

  const assign = async (partitions: number[]) => {
    const fresh = new Map<number, number>();
    for (const p of partitions) {
      if (owned.has(p)) continue;
      await store.acquire(p, lockTimeoutMs);
      let cp: PartitionCheckpoint;
      try {
        cp = await loadPartitionCheckpoint(
          store,
          topic,
          p,
          settings.checkpoint,
        );
      } catch (error) {
        await store.release(p);
        throw error;
      }
      owned.set(p, {
        cp,
        next: Number(cp.next),
        maxSeq: cp.maxSeq,
        pos: cp.position ? { ...cp.position } : undefined,
        watermark: cp.watermark,
        dirty: false,
        rows: 0,
        rejected: 0,
        gaps: [...cp.gaps],
      });
      fresh.set(p, Number(cp.next));
    }
    const removed = await warehouse.reconcile(fresh);
    const isFresh = (o: Owned) =>
      o.cp.updatedAt === new Date(0).toISOString() && o.next === 0;
    if (removed.length > 0) {
      options.log?.(
        `removed ${removed.length} uncommitted file(s) left by an interrupted flush`,
      );
    }
    const offsets: OffsetMap = {};
    for (const p of partitions) {
      const o = owned.get(p)!;
      // A partition never written starts at its log start.
      if (!isFresh(o)) offsets[String(p)] = String(o.next);
    }
    const starts = await source.seek(offsets, owned.get(0)?.cp.position);
    // From here on, the first record of each partition must carry exactly
    // the offset it was sought to.
    for (const [key, start] of Object.entries(starts ?? {})) {
      const o = owned.get(Number(key));
      if (!o) continue;
      if (isFresh(o)) {
        o.next = Number(start);
        // Started at the log start: what the producer wrote before it is lost.
        if (!readFrom.has(Number(key))) readFrom.set(Number(key), o.next);
      } else if (Number(start) > o.next) lose(Number(key), o, Number(start));
    }
  };

  /** Offsets [from, to) are gone: fail, or record the gap and go on from `to`. */
  const lose = (p: number, o: Owned, to: number, from = o.next) => {
    if (settings.onDataLoss === "fail") {
      throw new RangeError(
        `Data loss on topic "${topic}" partition ${p}: offsets ${from} to ${
          to - 1
        } are gone from the broker (retention?); rerun with --on-data-loss skip to continue and record the gap`,
      );
    }
    o.gaps.push({ from: String(from), to: String(to) });
    stats.lost += to - from;
    options.log?.(`skipped lost offsets ${from}..${to - 1} of partition ${p}`);
    o.next = Math.max(o.next, to);
    o.dirty = true;
  };

  const revoke = async () => {
    await flush();
    discard();
    for (const p of owned.keys()) await store.release(p);
    owned.clear();
  };

  const reject = (
    partition: number,
    offset: number,
    reason: string,
    raw: Uint8Array | null,
  ) => {
    let r = rejects.get(partition);
    if (!r) {
      r = { first: offset, last: offset, lines: [] };
      rejects.set(partition, r);
    }
    r.last = offset;
    r.lines.push(JSON.stringify({
      topic,
      partition,
      offset: String(offset),
      reason,
      raw: raw ? base64(raw) : null,
    }));
    stats.rejected++;
  };

  const time = { ms: 0 };
  const take = (batch: RecordBatch) => {
    const p = batch.partition;
    const o = owned.get(p);
    if (!o) return;
    if (batch.highWatermark !== undefined && batch.records.length > 0) {
      stats.lag = Math.max(
        0,
        Number(batch.highWatermark) - 1 -
          Number(batch.records[batch.records.length - 1]!.offset),
      );
    }
    for (const record of batch.records) {
      const offset = Number(record.offset);
      if (offset < o.next) {
        stats.duplicates++;
        continue;
      }
      if (offset > o.next) lose(p, o, offset);
      o.next = offset + 1;
      o.dirty = true;
      stats.events++;
      if (record.seq !== undefined) {
        if (o.maxSeq !== undefined && record.seq <= o.maxSeq) {
          stats.duplicates++;
          continue;
        }
        o.maxSeq = record.seq;
      }
      // A source that delivers text (the embedded transport) makes the
      // bytes only when they are read: for a reject, or to size text that
      // could be oversized (UTF-8 takes 1 to 3 bytes per UTF-16 unit).
      const text = record.text;
      if (
        text !== undefined
          ? text.length === 0
          : record.value === null || record.value.length === 0
      ) {
        reject(p, offset, "empty record", record.value);
        continue;
      }
      if (text === undefined || text.length * 3 > maxRecordBytes) {
        const size = record.value!.length;
        if (size > maxRecordBytes) {
          reject(
            p,
            offset,
            `oversized record (${size} bytes > ${maxRecordBytes})`,
            record.value,
          );
          continue;
        }
      }
      let fields: Record<string, unknown>;
      try {
        fields = JSON.parse(text ?? decoder.decode(record.value!));
      } catch {
        reject(p, offset, "not JSON", record.value);
        continue;
      }
      const problem = eventProblem(fields, time);
      if (problem !== undefined) {
        reject(p, offset, problem, record.value);
        continue;
      }
      const t = time.ms;
      // The embedded stream's offset is its sequence: keep the generator
      // position so that a restart regenerates exactly the unwritten rest.
      if (!o.pos) o.pos = { seq: offset + 1, t, n: 1 };
      else {
        o.pos.n = o.pos.t === t ? o.pos.n + 1 : 1;
        o.pos.seq = offset + 1;
        o.pos.t = t;
      }
      if (t > o.watermark) o.watermark = t;
      if (!(t >= dayStart && t < dayEnd)) {
        day = dateKey(t);
        dayStart = Math.floor(t / DAY_MS) * DAY_MS;
        dayEnd = dayStart + DAY_MS;
        seenDates.add(day);
      }
      const date = day;
      let b = last;
      if (!b || b.date !== date || b.partition !== p) {
        const key = `${date}|${p}`;
        b = buffers.get(key);
        if (!b) {
          b = { date, partition: p, columns: new ColumnBuffer(p) };
          buffers.set(key, b);
        }
        last = b;
      }
      b.columns.append(fields, t, offset);
      if (b.columns.size > fullest) fullest = b.columns.size;
    }
  };

  // A bounded run ends when every partition's checkpoint reaches the end
  // offsets the producer had acknowledged; nothing else (counts, timers)
  // ends it. No progress for `retryTimeoutMs` is an error, never a hang.
  const retryTimeoutMs = options.retryTimeoutMs ?? 300_000;
  let target: OffsetMap | undefined;
  let targetFrom: OffsetMap = {};
  let targetAt = 0;
  void options.drain?.then((range) => {
    target = range.until;
    targetFrom = range.from;
    targetAt = clock.now();
  });
  /** Where each partition without a checkpoint was first read from (its log start then). */
  const readFrom = new Map<number, number>();
  const checkedFrom = new Set<number>();
  /**
   * A partition first read from beyond where the producer began (its
   * records were deleted before we got to them) lost the difference.
   */
  const checkStarts = () => {
    for (const [key, from] of Object.entries(targetFrom)) {
      const p = Number(key);
      const o = owned.get(p);
      const read = readFrom.get(p);
      if (!o || read === undefined || checkedFrom.has(p)) continue;
      checkedFrom.add(p);
      if (Number(from) < read) lose(p, o, read, Number(from));
    }
  };
  /** Partitions still short of the drain target, as "p: next/end". */
  const short = async (ends: OffsetMap) => {
    const behind: string[] = [];
    for (const [key, end] of Object.entries(ends)) {
      const p = Number(key);
      const next = owned.get(p)?.next ??
        Number((await loadPartitionCheckpoint(store, topic, p)).next);
      if (next < Number(end)) behind.push(`${p}: ${next}/${end}`);
    }
    return behind;
  };
  const reached = (p: number) => {
    const end = target?.[String(p)];
    return end === undefined || (owned.get(p)?.next ?? 0) >= Number(end);
  };
  const drained = async () => {
    if (!target) return false;
    checkStarts();
    const behind = await short(target);
    if (behind.length === 0) return true;
    // Ours are done but others' are not: land ours, so that the members
    // owning the rest (who read our checkpoints) can finish too.
    const oursDone = [...owned].every(([p, o]) =>
      target![String(p)] === undefined || o.next >= Number(target![String(p)])
    );
    if (oursDone && [...owned.values()].some((o) => o.dirty)) await flush();
    const quiet = clock.now() - Math.max(lastData, targetAt);
    if (quiet > retryTimeoutMs) {
      throw new Error(
        `Cannot finish: partitions did not reach the offsets the producer wrote within ${
          Math.round(retryTimeoutMs / 1000)
        } s (partition: next/end ${behind.join(", ")})`,
      );
    }
    return false;
  };
  // --until-idle ends only once the owned partitions have reached the high
  // watermarks read when idle: a quiet client is not a finished stream.
  let behindSince: number | undefined;
  const caughtUp = async () => {
    if (!source.endOffsets) return true;
    const ends = await source.endOffsets();
    const mine = Object.fromEntries(
      Object.entries(ends).filter(([p]) => owned.has(Number(p))),
    );
    const behind = await short(mine);
    if (behind.length === 0) return true;
    behindSince ??= clock.now();
    if (clock.now() - behindSince > retryTimeoutMs) {
      throw new Error(
        `Cannot finish: idle, but partitions are behind the broker's high watermarks (partition: next/end ${
          behind.join(", ")
        })`,
      );
    }
    lastData = clock.now();
    return false;
  };

  // Aborting `stop` ends the source's iterator cleanly (idle, or our own
  // stop); `return()` alone would wait for a fetch that may never come.
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  signal.addEventListener("abort", onOuterAbort);
  const iterator = source.deliveries({ signal: stop.signal })[
    Symbol.asyncIterator
  ]();
  const idleMs = settings.untilIdleSec !== undefined
    ? settings.untilIdleSec * 1000
    : undefined;
  const flushMs = settings.flushIntervalSec * 1000;
  try {
    while (!signal.aborted) {
      const pending = iterator.next();
      let result: IteratorResult<Delivery> | "tick";
      // Wake up to flush on time and to notice idleness even without data.
      for (;;) {
        const waitMs = Math.max(
          20,
          Math.min(
            1000,
            flushMs - (clock.now() - lastFlush),
            idleMs !== undefined ? idleMs - idleFor(clock.now()) : Infinity,
          ),
        );
        const tick = new AbortController();
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
        if (result !== "tick" || signal.aborted) break;
        const now = clock.now();
        if (now - lastFlush >= flushMs) await flush();
        if (
          idleMs !== undefined && idleFor(now) >= idleMs && await caughtUp()
        ) break;
        if (await drained()) break;
        if (now - lastReport >= 1000) {
          options.report?.({ ...stats });
          lastReport = now;
        }
      }
      if (result === "tick") {
        // Idle or aborted: stop reading and let the pending fetch finish.
        stop.abort();
        await pending.catch(() => {});
        break;
      }
      if (result.done) break;
      const delivery = result.value;
      switch (delivery.type) {
        case "assigned":
          await assign(delivery.partitions);
          owning = true;
          lastData = clock.now();
          continue;
        case "revoked":
          await revoke();
          owning = false;
          lastData = clock.now();
          continue;
        case "complete":
          completeUntil = delivery.until;
          continue;
        case "batch":
          lastData = clock.now();
          if (firstData === undefined) stats.activeFrom = firstData = lastData;
          take(delivery.batch);
          lastTaken = clock.now();
          behindSince = undefined;
          break;
      }
      // Per batch, the drain is checked only once this batch's partition
      // has reached its end (the tick checks it at least once a second).
      if (
        target && reached(delivery.batch.partition) && await drained()
      ) break;
      if (clock.now() - lastReport >= 1000) {
        options.report?.({ ...stats });
        lastReport = clock.now();
      }
      if (
        fullest >= settings.maxFileRows || clock.now() - lastFlush >= flushMs
      ) {
        await flush();
      }
    }
    await flush();
    await closeDays();
  } finally {
    stop.abort();
    signal.removeEventListener("abort", onOuterAbort);
    await iterator.return?.();
    for (const p of owned.keys()) await store.release(p).catch(() => {});
  }
  return stats;
}

/**
 * The consumer loop: transport -> validated rows -> date-partitioned Parquet,
 * exactly once.
 *
 * Durability order for every flush (stated once, here):
 * 1. encode each (date, partition) buffer and the rejected records;
 * 2. land every file: temp name, fsync, rename, fsync the directory;
 * 3. save the checkpoint (same atomic write) with the offsets after them;
 * 4. commit the offsets to the transport (a lagging hint for lag tools);
 * 5. report.
 * On start the checkpoint is the truth: files whose offsets start at or past
 * it were landed by a flush whose checkpoint never did, and are removed
 * before reading resumes. Records at offsets below the checkpoint, and
 * records whose stream sequence was already written, are dropped.
 *
 * @module
 */
import type { SinkSettings } from "../config.ts";
import {
  type Checkpoint,
  emptyCheckpoint,
  parseCheckpoint,
  stringifyCheckpoint,
} from "../core/checkpoint.ts";
import { eventProblem } from "../core/event.ts";
import { dataFileName, rejectedFileName } from "../core/partition.ts";
import { dateKey, DAY_MS } from "../core/time.ts";
import { encodeRows, type Row } from "../adapters/parquet.ts";
import type {
  CheckpointStore,
  Clock,
  OffsetMap,
  RecordBatch,
  Source,
  Warehouse,
  WarehouseFile,
} from "../ports.ts";
import { emptyStats, type Stats } from "../protocol.ts";

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
}

/** The steps of a flush, in order, for crash tests. */
export type FlushStep = "encoded" | "landed" | "checkpointed" | "committed";

interface Buffer {
  date: string;
  partition: number;
  rows: Row[];
}

interface RejectBuffer {
  partition: number;
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

/** Loads the checkpoint or an empty one; a corrupt file is an error. */
export async function loadCheckpoint(
  store: CheckpointStore,
  topic: string,
  path = "checkpoint",
): Promise<Checkpoint> {
  const text = await store.load();
  if (text === undefined) return emptyCheckpoint(topic);
  const cp = parseCheckpoint(text, path);
  if (cp.topic !== topic) {
    throw new RangeError(
      `Cannot use checkpoint "${path}": it belongs to topic "${cp.topic}", not "${topic}"`,
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
  const cp = await loadCheckpoint(store, topic, settings.checkpoint);
  const removed = await warehouse.reconcile(cp.offsets);
  if (removed.length > 0) {
    options.log?.(
      `removed ${removed.length} uncommitted file(s) left by an interrupted flush`,
    );
  }
  const stats = emptyStats();
  stats.rows = 0;
  const next = new Map<number, number>(
    Object.entries(cp.offsets).map(([p, o]) => [Number(p), Number(o)]),
  );
  const maxSeq = new Map<number, number>(
    Object.entries(cp.maxSeq).map(([p, s]) => [Number(p), s]),
  );
  let position = cp.position;
  // Only the embedded transport resumes its generator from the checkpoint.
  const trackPosition = source.resumable === true;
  let watermark = cp.watermark;
  const closed = new Set(cp.closedDates);
  const buffers = new Map<string, Buffer>();
  const rejects = new Map<number, RejectBuffer>();
  let buffered = 0;
  let dirty = false;
  let lastFlush = clock.now();
  let lastData = clock.now();
  let lastReport = clock.now();
  const maxBuffered = settings.maxFileRows;

  const flush = async () => {
    if (!dirty) return;
    const files: WarehouseFile[] = [];
    let rows = 0;
    for (const b of buffers.values()) {
      const first = b.rows[0]!.offset;
      const last = b.rows[b.rows.length - 1]!.offset;
      const bytes = encodeRows(b.rows, { compression: settings.compression });
      files.push({
        dir: `date=${b.date}`,
        name: dataFileName(b.partition, first, last),
        bytes,
      });
      rows += b.rows.length;
      stats.bytes += bytes.length;
    }
    let rejected = 0;
    for (const r of rejects.values()) {
      files.push({
        dir: "_rejected",
        name: rejectedFileName(r.partition, r.first, r.last),
        bytes: new TextEncoder().encode(r.lines.join("\n") + "\n"),
      });
      rejected += r.lines.length;
    }
    options.crashHook?.("encoded");
    await warehouse.writeFiles(files);
    options.crashHook?.("landed");
    const offsets: OffsetMap = {};
    for (const [p, o] of next) offsets[String(p)] = String(o);
    const checkpoint: Checkpoint = {
      ...cp,
      offsets,
      maxSeq: Object.fromEntries(maxSeq),
      ...(position ? { position } : {}),
      watermark,
      closedDates: [...closed].sort(),
      rows: cp.rows + rows,
      rejected: cp.rejected + rejected,
      updatedAt: new Date(clock.now()).toISOString(),
    };
    await store.save(stringifyCheckpoint(checkpoint));
    Object.assign(cp, checkpoint);
    options.crashHook?.("checkpointed");
    await source.commit(offsets);
    options.crashHook?.("committed");
    stats.rows += rows;
    stats.files += files.length;
    buffers.clear();
    rejects.clear();
    buffered = 0;
    dirty = false;
    lastFlush = clock.now();
    await closeDays();
    options.report?.({ ...stats });
  };

  const seenDates = new Set<string>();
  const closeDays = async () => {
    for (const date of seenDates) {
      if (closed.has(date)) continue;
      const end = Date.parse(`${date}T00:00:00Z`) + DAY_MS;
      if (watermark >= end + settings.lateGraceSec * 1000) {
        await warehouse.markComplete(date);
        closed.add(date);
        options.log?.(`day ${date} is complete (_SUCCESS written)`);
      }
    }
  };

  const reject = (
    partition: number,
    offset: number,
    reason: string,
    raw: Uint8Array | null,
  ) => {
    let r = rejects.get(partition);
    if (!r) {
      r = { partition, first: offset, last: offset, lines: [] };
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

  const iterator = source.batches({
    signal,
    offsets: cp.offsets,
    ...(position ? { resume: position } : {}),
  })[Symbol.asyncIterator]();
  const idleMs = settings.untilIdleSec !== undefined
    ? settings.untilIdleSec * 1000
    : undefined;
  try {
    while (!signal.aborted) {
      const pending = iterator.next();
      const waitMs = Math.max(
        50,
        Math.min(
          settings.flushIntervalSec * 1000 - (clock.now() - lastFlush),
          idleMs !== undefined ? idleMs - (clock.now() - lastData) : Infinity,
        ),
      );
      let result: IteratorResult<RecordBatch> | "tick";
      // Wake up to flush on time even when no data arrives.
      for (;;) {
        result = await Promise.race([
          pending,
          clock.sleep(Math.min(waitMs, 1000), signal).then(() =>
            "tick" as const
          ),
        ]);
        if (result !== "tick" || signal.aborted) break;
        const now = clock.now();
        if (now - lastFlush >= settings.flushIntervalSec * 1000) await flush();
        if (idleMs !== undefined && now - lastData >= idleMs) break;
        if (now - lastReport >= 1000) {
          options.report?.({ ...stats });
          lastReport = now;
        }
      }
      if (result === "tick") {
        // Idle or aborted: stop reading, keep the pending fetch from leaking.
        pending.catch(() => {});
        break;
      }
      if (result.done) break;
      const batch = result.value;
      lastData = clock.now();
      const p = batch.partition;
      let expected = next.get(p);
      if (batch.highWatermark !== undefined) {
        stats.lag = Math.max(
          0,
          Number(batch.highWatermark) - 1 -
            Number(batch.records[batch.records.length - 1]?.offset ?? 0),
        );
      }
      for (const record of batch.records) {
        const offset = Number(record.offset);
        if (expected !== undefined && offset < expected) {
          stats.duplicates++;
          continue;
        }
        if (expected !== undefined && offset > expected) {
          const gap = {
            partition: p,
            from: String(expected),
            to: String(offset),
          };
          if (settings.onDataLoss === "fail" && expected > 0) {
            throw new RangeError(
              `Data loss on topic "${topic}" partition ${p}: offsets ${expected} to ${
                offset - 1
              } are gone from the broker (retention?); rerun with --on-data-loss skip to continue and record the gap`,
            );
          }
          if (expected > 0) {
            cp.gaps.push(gap);
            options.log?.(
              `skipped lost offsets ${gap.from}..${
                offset - 1
              } of partition ${p}`,
            );
          }
        }
        expected = offset + 1;
        next.set(p, expected);
        dirty = true;
        stats.events++;
        if (record.seq !== undefined) {
          const seen = maxSeq.get(p);
          if (seen !== undefined && record.seq <= seen) {
            stats.duplicates++;
            continue;
          }
          maxSeq.set(p, record.seq);
        }
        const raw = record.value;
        if (raw === null || raw.length === 0) {
          reject(p, offset, "empty record", raw);
          continue;
        }
        if (raw.length > maxRecordBytes) {
          reject(
            p,
            offset,
            `oversized record (${raw.length} bytes > ${maxRecordBytes})`,
            raw,
          );
          continue;
        }
        let fields: Record<string, unknown>;
        try {
          fields = JSON.parse(decoder.decode(raw));
        } catch {
          reject(p, offset, "not JSON", raw);
          continue;
        }
        const problem = eventProblem(fields);
        if (problem !== undefined) {
          reject(p, offset, problem, raw);
          continue;
        }
        const t = Date.parse(fields["timestamp"] as string);
        if (trackPosition) {
          position = position && position.t === t
            ? { seq: offset + 1, t, n: position.n + 1 }
            : { seq: offset + 1, t, n: 1 };
        }
        if (t > watermark) watermark = t;
        const date = dateKey(t);
        seenDates.add(date);
        const key = `${date}|${p}`;
        let b = buffers.get(key);
        if (!b) {
          b = { date, partition: p, rows: [] };
          buffers.set(key, b);
        }
        b.rows.push({ fields, t, partition: p, offset });
        buffered++;
      }
      if (
        buffered >= maxBuffered ||
        clock.now() - lastFlush >= settings.flushIntervalSec * 1000
      ) {
        await flush();
      }
    }
    await flush();
    await closeDays();
  } finally {
    await iterator.return?.();
  }
  return stats;
}

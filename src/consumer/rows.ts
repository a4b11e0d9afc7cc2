/**
 * Buffering: records of owned partitions, checked and parsed, held in one
 * column buffer per (date, partition) until a flush; rejected records held
 * per partition for `_rejected/`. Records below the expected offset, and
 * records whose stream sequence was already written (a re-produced event),
 * are dropped; a jump past the expected offset is loss.
 *
 * @module
 */
import { eventProblem } from "../model/event.ts";
import { dateKey, DAY_MS } from "../model/time.ts";
import { ColumnBuffer } from "../warehouse/table.ts";
import type { InRecord, RecordBatch } from "../ports.ts";
import type { Stats } from "../protocol.ts";
import type { Owned, Partitions } from "./partitions.ts";
import type { AudienceTally } from "../live/tally.ts";

/** Rows of one (date, partition). */
export interface DayBuffer {
  date: string;
  partition: number;
  columns: ColumnBuffer;
}

/** Rejected records of one partition, as JSON lines. */
export interface RejectBuffer {
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

/**
 * Whether `seq` is past the last one written from its producer slice, and
 * if so notes it: each `--shard` producer counts its own stream, so their
 * records interleave in a partition with unrelated seqs.
 */
function isNewSeq(o: Owned, seq: number, shard: string | undefined): boolean {
  if (shard === undefined) {
    if (o.maxSeq !== undefined && seq <= o.maxSeq) return false;
    o.maxSeq = seq;
    return true;
  }
  const seqs = o.shardSeqs ??= {};
  const last = seqs[shard];
  if (last !== undefined && seq <= last) return false;
  seqs[shard] = seq;
  return true;
}

/** What the consumer holds between flushes. */
export class Rows {
  /** Day buffers by `date|partition`. */
  readonly buffers = new Map<string, DayBuffer>();
  readonly rejects = new Map<number, RejectBuffer>();
  /** Every date a record fell on. */
  readonly seenDates = new Set<string>();
  /** Rows in the fullest buffer: files roll per partition. */
  fullest = 0;
  readonly #topic: string;
  readonly #maxRecordBytes: number;
  readonly #stats: Stats;
  readonly #partitions: Partitions;
  readonly #tally: AudienceTally | undefined;
  readonly #rejectedBy: Record<string, number> = {};
  readonly #time = { ms: 0 };
  // The buffer and date of the previous record: consecutive records almost
  // always share both, so the per-record Map lookup and date formatting are
  // skipped.
  #last: DayBuffer | undefined;
  #dayStart = 0;
  #dayEnd = 0;
  #day = "";

  /** Empty buffers for one consumer run. */
  constructor(
    topic: string,
    maxRecordBytes: number,
    stats: Stats,
    partitions: Partitions,
    tally?: AudienceTally,
  ) {
    this.#topic = topic;
    this.#maxRecordBytes = maxRecordBytes;
    this.#stats = stats;
    this.#partitions = partitions;
    this.#tally = tally;
    if (tally) stats.byType = tally.byType;
    stats.rejectedBy = this.#rejectedBy;
  }

  /** Drops everything held (flushed, or given up on a revocation). */
  discard(): void {
    this.#last = undefined;
    this.buffers.clear();
    this.rejects.clear();
    this.fullest = 0;
  }

  /** Takes a batch of an owned partition (others are ignored). */
  take(batch: RecordBatch): void {
    const p = batch.partition;
    const o = this.#partitions.owned.get(p);
    if (!o) return;
    const stats = this.#stats;
    if (batch.highWatermark !== undefined && batch.records.length > 0) {
      o.lag = stats.lag = Math.max(
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
      if (offset > o.next) this.#partitions.lose(p, o, offset);
      o.next = offset + 1;
      o.dirty = true;
      stats.events++;
      if (record.seq !== undefined && !isNewSeq(o, record.seq, record.shard)) {
        stats.duplicates++;
        continue;
      }
      const fields = this.#parse(p, offset, record);
      if (fields) this.#append(p, o, offset, fields);
    }
  }

  /** The record's fields, or undefined once it is rejected. */
  #parse(
    p: number,
    offset: number,
    record: InRecord,
  ): Record<string, unknown> | undefined {
    // A source that delivers text (the embedded transport) makes the
    // bytes only when they are read: for a reject, or to size text that
    // could be oversized (UTF-8 takes 1 to 3 bytes per UTF-16 unit).
    const text = record.text;
    const max = this.#maxRecordBytes;
    if (
      text !== undefined
        ? text.length === 0
        : record.value === null || record.value.length === 0
    ) {
      return this.#reject(p, offset, "empty record", record.value);
    }
    if (text === undefined || text.length * 3 > max) {
      const size = record.value!.length;
      if (size > max) {
        return this.#reject(
          p,
          offset,
          `oversized record (${size} bytes > ${max})`,
          record.value,
        );
      }
    }
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(text ?? decoder.decode(record.value!));
    } catch {
      return this.#reject(p, offset, "not JSON", record.value);
    }
    if (record.time !== undefined && text !== undefined) {
      this.#time.ms = record.time;
      return fields;
    }
    const problem = eventProblem(fields, this.#time);
    if (problem !== undefined) {
      return this.#reject(p, offset, problem, record.value);
    }
    return fields;
  }

  /** Appends a valid event to its day's buffer. */
  #append(
    p: number,
    o: Owned,
    offset: number,
    fields: Record<string, unknown>,
  ): void {
    const t = this.#time.ms;
    // The embedded stream's offset is its sequence: keep the generator
    // position so that a restart regenerates exactly the unwritten rest.
    if (!o.pos) o.pos = { seq: offset + 1, t, n: 1 };
    else {
      o.pos.n = o.pos.t === t ? o.pos.n + 1 : 1;
      o.pos.seq = offset + 1;
      o.pos.t = t;
    }
    if (t > o.watermark) o.watermark = t;
    if (!(t >= this.#dayStart && t < this.#dayEnd)) {
      this.#day = dateKey(t);
      this.#dayStart = Math.floor(t / DAY_MS) * DAY_MS;
      this.#dayEnd = this.#dayStart + DAY_MS;
      this.seenDates.add(this.#day);
    }
    const date = this.#day;
    let b = this.#last;
    if (!b || b.date !== date || b.partition !== p) {
      const key = `${date}|${p}`;
      b = this.buffers.get(key);
      if (!b) {
        b = { date, partition: p, columns: new ColumnBuffer(p) };
        this.buffers.set(key, b);
      }
      this.#last = b;
    }
    b.columns.append(fields, t, offset);
    this.#tally?.observe(fields, t);
    if (b.columns.size > this.fullest) this.fullest = b.columns.size;
  }

  /** Keeps a record for `_rejected/`, with why; returns undefined. */
  #reject(
    partition: number,
    offset: number,
    reason: string,
    raw: Uint8Array | null,
  ): undefined {
    let r = this.rejects.get(partition);
    if (!r) {
      r = { first: offset, last: offset, lines: [] };
      this.rejects.set(partition, r);
    }
    r.last = offset;
    r.lines.push(JSON.stringify({
      topic: this.#topic,
      partition,
      offset: String(offset),
      reason,
      raw: raw ? base64(raw) : null,
    }));
    this.#stats.rejected++;
    const kind = rejectKind(reason);
    this.#rejectedBy[kind] = (this.#rejectedBy[kind] ?? 0) + 1;
    return undefined;
  }
}

/** A rejection reason reduced to a bounded set, for counters and labels. */
function rejectKind(reason: string): string {
  if (reason === "empty record") return "empty";
  if (reason.startsWith("oversized")) return "oversized";
  if (reason === "not JSON") return "not_json";
  return "schema";
}

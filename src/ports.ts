/**
 * The interfaces the core loops need from the outside world, and nothing
 * more. Adapters (kafkajs, the embedded channel, the file system) implement
 * them; tests implement them with fakes.
 *
 * @example
 * ```ts
 * for await (const batch of source.batches({ signal })) {
 *   // write batch.records, then checkpoint, then source.commit(...)
 * }
 * ```
 *
 * @module
 */

/** Next offset to read, per partition, as decimal strings: `{ "0": "1042" }`. */
export type OffsetMap = Record<string, string>;

/** One record as the transport delivers it. */
export interface InRecord {
  offset: string;
  /**
   * The value's bytes; `null` for a tombstone. A source that has `text`
   * may make them on demand: the consumer reads them only to size text that
   * might be oversized and to keep a rejected record.
   */
  value: Uint8Array | null;
  /** Stream position header (`seq`) when the producer set one. */
  seq?: number;
  /** The producer's slice (`shard` header, `K/N`): its `seq` counts that slice's stream. */
  shard?: string;
  /** `value` as text, when the source has it (decoded a batch at once, or never bytes). */
  text?: string;
  /**
   * The event time (ms), set only by the embedded transport for records
   * of tvstream's own generator in this process, already in the schema:
   * the consumer parses them without checking them again.
   * Records from Kafka never have it: they are checked field by field.
   */
  time?: number;
}

/** Records of one partition, in offset order. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: InRecord[];
  /** Offset after the partition's last record on the broker (for lag). */
  highWatermark?: string;
}

/** What a source delivers: records, or a change of owned partitions. */
export type Delivery =
  | { type: "batch"; batch: RecordBatch }
  /** These partitions are now ours: load their checkpoints, then `seek`. */
  | { type: "assigned"; partitions: number[] }
  /** A rebalance started: drop unflushed rows and release every partition. */
  | { type: "revoked" }
  /**
   * The stream is complete up to `until` (ms): no record with an earlier
   * event time will follow (the embedded transport's bounded window).
   */
  | { type: "complete"; until: number };

/** Where the consumer reads from. */
export interface Source {
  /** Yields deliveries in order; the next is fetched when the loop body ends. */
  deliveries(options: { signal: AbortSignal }): AsyncIterable<Delivery>;
  /**
   * Starts reading assigned partitions at `offsets` (a partition missing from
   * `offsets` starts at its log start offset, read now). Resolves to the
   * offset each assigned partition will be read from: an offset below the
   * log start comes back as the log start, so the caller sees the loss. The
   * embedded transport also takes the generator position to regenerate
   * from, and resolves to nothing (its offsets start at 0).
   */
  seek(
    offsets: OffsetMap,
    resume?: { seq: number; t: number; n: number },
  ): Promise<OffsetMap | void>;
  /** Each partition's high watermark now, where the source has one. */
  endOffsets?(): Promise<OffsetMap>;
  /** Tells the broker what is durably written (lag tools read it). */
  commit(offsets: OffsetMap): Promise<void>;
  close(): Promise<void>;
}

const textDecoder = new TextDecoder();

/** A record value as text: the generator's records are text already; bytes exist only once relayed. */
export function valueText(value: string | Uint8Array): string {
  return typeof value === "string" ? value : textDecoder.decode(value);
}

/** One record as the producer sends it. */
export interface OutRecord {
  key: string;
  /** The event as JSON: text, or its UTF-8 bytes once relayed to the producer. */
  value: string | Uint8Array;
  /** Event time (ms), used as the Kafka record timestamp. */
  timestamp: number;
  /** Event type (the Kafka `event` header). */
  event: string;
  /** Position in the generated stream (the Kafka `seq` header). */
  seq: number;
}

/** Where the generator writes to. */
export interface Sink {
  /** Sends records in order; resolves once they are acknowledged. */
  send(records: OutRecord[]): Promise<void>;
  /** Each partition's offset after the last record acknowledged, where the sink has them. */
  endOffsets?(): OffsetMap;
  /** Each partition's offset of the first record acknowledged, where the sink has them. */
  startOffsets?(): OffsetMap;
  /** Ends the stream; `end.until` when the whole window was sent. */
  close(end?: { until: number }): Promise<void>;
}

/** Time, injectable so that tests do not sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const id = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener("abort", done);
        clearTimeout(id);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** One file to land in the warehouse. */
export interface WarehouseFile {
  /** Directory under the table: `date=YYYY-MM-DD` or `_rejected`. */
  dir: string;
  name: string;
  bytes: Uint8Array;
}

/** The durable side of the consumer: data files and markers. */
export interface Warehouse {
  /** Lands files durably: temp name, fsync, rename, fsync the directory. */
  writeFiles(files: WarehouseFile[]): Promise<void>;
  /**
   * For the partitions given (partition -> committed next offset), removes
   * temp leftovers and every file whose offsets start at or beyond the
   * committed offset: they were landed by a flush whose checkpoint never
   * was. Returns the paths it removed.
   */
  reconcile(owned: ReadonlyMap<number, number>): Promise<string[]>;
  /** Marks a closed day with `_SUCCESS`. */
  markComplete(date: string): Promise<void>;
  /** Merges a closed day's small files, for the partitions given. */
  compact(
    date: string,
    partitions: ReadonlySet<number>,
  ): Promise<
    { date: string; partition: number; merged: number; rows: number }[]
  >;
}

/** Where the checkpoint lives: one JSON file and one lock per partition. */
export interface CheckpointStore {
  /**
   * Takes the partition's exclusive lock, waiting up to `timeoutMs` while
   * another consumer (still flushing) holds it. The OS drops it if we die.
   */
  acquire(partition: number, timeoutMs: number): Promise<void>;
  /** Releases a partition's lock. */
  release(partition: number): Promise<void>;
  /** Returns a partition's saved checkpoint text, or `undefined`. */
  load(partition: number): Promise<string | undefined>;
  /** Saves atomically (temp file, fsync, rename, fsync the directory). */
  save(partition: number, text: string): Promise<void>;
  /** Returns the partitions that have a checkpoint. */
  list(): Promise<number[]>;
}

/**
 * Messages exchanged between `main.ts` and the pipeline's workers, between
 * the workers over the embedded transport, and between `sample` and its
 * sampler workers. The only contract between threads.
 *
 * @example
 * ```ts
 * worker.postMessage({ type: "start", config } satisfies Command);
 * ```
 *
 * @module
 */
import type { Incident, IncidentSpec } from "./world/incidents.ts";
import type { GeneratorSettings, PipelineConfig, Shard } from "./config.ts";
import type { Delivery } from "./ports.ts";

/** Which worker a report comes from. */
export type Role = "generator" | "producer" | "fetcher" | "consumer";

/** Counters a worker reports. */
export interface Stats {
  /** Events generated (generator) or consumed (consumer). */
  events: number;
  /** Events acknowledged by the transport (generator). */
  produced: number;
  /** Rows written to Parquet (consumer). */
  rows: number;
  files: number;
  rejected: number;
  duplicates: number;
  bytes: number;
  /** Records behind the newest one the transport has (consumer). */
  lag: number;
  /** Simulated time reached (ms), for the status line. */
  simTime: number;
  activeSessions: number;
  /**
   * Consumer: ms from the first record received to the end of the last
   * flush, less the wait between the last record and that flush.
   * Generator: ms from the first send to the last acknowledgement.
   */
  activeMs: number;
  /** Clock time (ms) at which `activeMs` starts: the first send or record; 0 before. */
  activeFrom: number;
  /**
   * Generator: set when the whole --from/--to window was generated, to its
   * end (ms). Every day that ends by then is complete.
   */
  windowEndMs?: number;
  /** Consumer: records the broker no longer had, skipped with `--on-data-loss skip`. */
  lost: number;
  /** Producer: each partition's offset after its last acknowledged record. */
  endOffsets?: Record<string, string>;
  /** Producer: each partition's offset of its first acknowledged record. */
  startOffsets?: Record<string, string>;
  /** Events by type, with the live view on: landed (consumer), or generated where no consumer runs. */
  byType?: Record<string, number>;
  /** Consumer: rejected records by reason (a bounded set, see `rejectKind`). */
  rejectedBy?: Record<string, number>;
  /** Consumer: lag and checkpointed offset of each owned partition. */
  partitionFigures?: Record<string, PartitionFigures>;
  /** Consumer: rows and files landed per date partition. */
  landed?: Record<string, { rows: number; files: number }>;
  /** Consumer: clock time (ms) of the last checkpoint written; 0 before. */
  checkpointAt?: number;
  /** Consumer: newest event time landed (ms). */
  watermark?: number;
  /** Consumer: Parquet files being built (buffered, not yet written). */
  openFiles?: number;
  /** This worker's V8 heap in use, bytes. */
  heapUsed?: number;
  /** Consumer: how long each flush took, seconds. */
  flushSeconds?: HistogramData;
  /** Generator: how long each batch waited for its acknowledgement, seconds. */
  ackSeconds?: HistogramData;
  /** Audience and quality of the stream, for the live view. */
  audience?: AudienceFigures;
}

/** A histogram: `counts[i]` observations in (bounds[i-1], bounds[i]], the last one above every bound. */
export interface HistogramData {
  bounds: number[];
  counts: number[];
  sum: number;
  count: number;
}

/** One partition as the consumer sees it. */
export interface PartitionFigures {
  /** Records on the broker after the last one read. */
  lag: number;
  /** Next offset to read, as checkpointed. */
  offset: number;
}

/** Quality of experience over the last five minutes of event time. */
export interface QualityFigures {
  /** VoD play attempts (playback_start). */
  attempts: number;
  /** Attempts that failed before the first frame. */
  failures: number;
  /** Attempts abandoned before the first frame. */
  exits: number;
  playSec: number;
  rebufferSec: number;
  /** Start-up times seen, and their median and 90th percentile (ms). */
  startups: number;
  startupP50Ms: number | null;
  startupP90Ms: number | null;
}

/** Who watches what now, and how well, from the events seen so far. */
export interface AudienceFigures {
  /** Event time the figures are as of (ms); 0 before the first event. */
  asOf: number;
  /** Devices tuned to each linear channel. */
  viewers: Record<string, number>;
  /** Open plays (tunes and VoD) by service, device type and region. */
  byService: Record<string, number>;
  byDevice: Record<string, number>;
  byRegion: Record<string, number>;
  quality: QualityFigures;
  /** Linear ad minutes per channel over the last hour of event time. */
  adMinutesPerHour: Record<string, number>;
}

/** Sent by the main thread to a worker. */
export type Command =
  | {
    type: "start";
    config: PipelineConfig;
    /** The embedded transport: one end of a MessageChannel. */
    port?: MessagePort;
    /** The SASL password, read by main from the environment or a file. */
    secret?: string;
  }
  | { type: "stop" }
  /**
   * To the consumer of a bounded run: the offsets the producer wrote,
   * [from, until) per partition. Finish once every partition's checkpoint
   * has reached `until`; a partition read from beyond `from` lost records.
   */
  | { type: "drain"; range: DrainRange }
  /** To the generator: start this incident (at its simulated now unless `at`). */
  | { type: "incident"; spec: IncidentSpec };

/** The offsets a bounded run's producer wrote: [from, until) per partition. */
export interface DrainRange {
  from: Record<string, string>;
  until: Record<string, string>;
}

/** Sent by a worker to the main thread. */
export type Report =
  | { type: "ready"; role: Role }
  | { type: "progress"; role: Role; stats: Stats }
  | {
    type: "log";
    role: Role;
    level: "debug" | "info" | "warn";
    message: string;
  }
  | { type: "stopped"; role: Role; stats: Stats }
  /** The generator placed an incident in its stream. */
  | { type: "incident"; role: Role; incident: Incident }
  /** A Kafka call failed and is retried; `error` is the broker's error type. */
  | { type: "retry"; role: Role; error: string }
  | { type: "failed"; role: Role; error: WireError };

/** Messages on the embedded transport (generator <-> consumer). */
export type TransportMessage =
  /** Consumer -> generator: start after this stream position. */
  | {
    type: "subscribe";
    resume?: { seq: number; t: number; n: number };
  }
  /**
   * Generator -> consumer: JSON lines for offsets [baseOffset, +count), as
   * text: a string is cloned at memcpy speed, and text is what the consumer
   * parses (UTF-8 bytes would be encoded here and decoded there).
   */
  | {
    type: "records";
    baseOffset: number;
    count: number;
    text: string;
    /**
     * Each record's event time (ms), sent only for tvstream's own generator's
     * records: the consumer takes them without checking them again.
     */
    times?: Float64Array;
  }
  /** Consumer -> generator: records consumed, so more may be sent. */
  | { type: "credit"; offset: number }
  /** Generator -> consumer: the stream is over (with `until`: the whole window up to it). */
  | { type: "end"; until?: number };

/** Messages on the producer relay (generator <-> producer worker). */
export type RelayMessage =
  /** Producer -> generator: start after this stream position. */
  | { type: "subscribe"; resume?: { seq: number; t: number; n: number } }
  /**
   * Generator -> producer: a batch. Line i of `values` (UTF-8 JSON, each
   * line ending in a newline) and of `keys` and `events` is record i.
   */
  | {
    type: "produce";
    values: ArrayBuffer;
    keys: string;
    events: string;
    timestamps: Float64Array;
    /** `seq` of the first record; the rest follow one by one. */
    firstSeq: number;
  }
  /** Producer -> generator: the oldest unacknowledged batch is in Kafka. */
  | { type: "acked" }
  /** Generator -> producer: save this acknowledged position. */
  | { type: "position"; position: { seq: number; t: number; n: number } }
  /** Producer -> generator: producing failed; every pending send fails. */
  | { type: "failed"; error: WireError }
  /** Generator -> producer: the stream is over. */
  | { type: "end" };

/** Consumer -> fetcher worker, on the fetch relay. */
export type FetchMessage =
  /** A batch of this many records was taken: more may be sent. */
  | { type: "taken"; records: number }
  /** The last control delivery was handled: the fetcher may go on. */
  | { type: "handled" }
  /** Calls, answered by a "reply" with the same id. */
  | {
    type: "seek";
    id: number;
    offsets: Record<string, string>;
    resume?: { seq: number; t: number; n: number };
  }
  | { type: "commit"; id: number; offsets: Record<string, string> }
  /** Asks for each partition's high watermark. */
  | { type: "ends"; id: number }
  | { type: "close"; id: number };

/** Fetcher worker -> consumer, on the fetch relay. */
export type FetchReply =
  /**
   * A batch: its values in one buffer (`ends`: byte end of each, -1 for a
   * null value) and, when all are UTF-8, as one string (`textEnds`).
   */
  | {
    type: "batch";
    topic: string;
    partition: number;
    highWatermark?: string;
    values: ArrayBuffer;
    ends: Int32Array;
    text?: string;
    textEnds?: Int32Array;
    offsets: Float64Array;
    seqs?: number[];
    /** Each record's `shard` header, when any has one. */
    shards?: string[];
  }
  /** A rebalance or the end of a window, in order with the batches. */
  | { type: "delivery"; delivery: Exclude<Delivery, { type: "batch" }> }
  /** Answers a call; `offsets` carries what `seek` and `ends` return. */
  | {
    type: "reply";
    id: number;
    error?: WireError;
    offsets?: Record<string, string>;
  }
  /** The client failed: the consumer's reads and calls fail with this. */
  | { type: "failed"; error: WireError }
  /** The source ended. */
  | { type: "end" };

/** An `Error` reduced to data that survives `structuredClone`. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** Converts any thrown value into a {@linkcode WireError}. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const wire: WireError = { name: error.name, message: error.message };
    if (error.stack) wire.stack = error.stack;
    return wire;
  }
  return { name: "Error", message: String(error) };
}

/** Rebuilds an `Error` from a {@linkcode WireError}, keeping its name. */
export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  return error;
}

/** Returns a zeroed {@linkcode Stats}. */
export function emptyStats(): Stats {
  return {
    events: 0,
    produced: 0,
    rows: 0,
    files: 0,
    rejected: 0,
    duplicates: 0,
    bytes: 0,
    lag: 0,
    simTime: 0,
    activeSessions: 0,
    activeMs: 0,
    activeFrom: 0,
    lost: 0,
  };
}

/** Returns {@linkcode QualityFigures} of a window with nothing in it. */
export function emptyQuality(): QualityFigures {
  return {
    attempts: 0,
    failures: 0,
    exits: 0,
    playSec: 0,
    rebufferSec: 0,
    startups: 0,
    startupP50Ms: null,
    startupP90Ms: null,
  };
}

/**
 * Generated JSON lines with each line's end and sort key: what a sampler
 * worker sends `sample`'s main thread, which merges the shards' chunks
 * back into one stream in order.
 */
export interface LineChunk {
  /** UTF-8 lines, each ending in a newline. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The byte offset just past each line's newline. */
  ends: Uint32Array<ArrayBuffer>;
  /** Each line's event time (ms). */
  t: Float64Array<ArrayBuffer>;
  /** Each line's session arrival order: ties in time go in this order. */
  ord: Float64Array<ArrayBuffer>;
  /** Lines held. */
  count: number;
}

/** Sent by `sample`'s main thread to a sampler worker. */
export type SamplerCommand =
  /** Generate shard `shard` of the stream of `settings` from `fromMs`, at most `limit` events. */
  | {
    type: "sample";
    settings: GeneratorSettings;
    shard: Shard;
    fromMs: number;
    limit: number;
    /** Events per chunk. */
    chunkEvents: number;
  }
  /** One chunk was merged: one more may be sent, in its buffers. */
  | { type: "credit"; spent?: LineChunk };

/** Sent by a sampler worker to `sample`'s main thread. */
export type SamplerReport =
  | { type: "chunk"; chunk: LineChunk }
  /** The shard's stream is over (the window's end or the limit). */
  | { type: "end" }
  | { type: "failed"; error: WireError };

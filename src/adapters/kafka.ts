/**
 * The only importer of kafkajs: a producer Sink and a consumer Source for a
 * real Kafka cluster, with kafkajs errors mapped to {@linkcode BrokerError}.
 *
 * @module
 */
import process from "node:process";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import {
  CompressionTypes,
  Kafka,
  type KafkaConfig,
  logLevel,
  type SASLOptions,
} from "kafkajs";
// @ts-types="./kafkajs_encoder.d.ts"
import Encoder from "kafkajs/src/protocol/encoder.js";
import type { Config } from "../config.ts";
import { SCHEMA_VERSION } from "../core/event.ts";
import type { Position } from "../core/simulator.ts";
import { BrokerError } from "../errors.ts";
import type {
  Delivery,
  InRecord,
  OffsetMap,
  OutRecord,
  Sink,
  Source,
} from "../ports.ts";
import { writeFileAtomic } from "./fs.ts";

// kafkajs schedules a timer with a negative delay on every connect
// (tulios/kafkajs#1751); drop only that warning, in this thread.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === "string" ? rest[0] : warning.name;
  if (name === "TimeoutNegativeWarning") return;
  // deno-lint-ignore no-explicit-any
  (emitWarning as any)(warning, ...rest);
}) as typeof process.emitWarning;

/** Maps any kafkajs failure to a BrokerError that never prints config. */
function brokerError(action: string, cause: unknown): BrokerError {
  const e = cause as { message?: string; retriable?: boolean; name?: string };
  const reason = e?.message ?? String(cause);
  return new BrokerError(`${action}: ${reason}`, {
    cause,
    retriable: e?.retriable === true,
  });
}

async function readPem(path: string | undefined, flag: string) {
  if (!path) return undefined;
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read ${flag} "${path}": ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Builds the kafkajs client for the settings; secrets stay in this closure. */
async function createClient(config: Config, secret: string | undefined) {
  const k = config.kafka!;
  const ca = await readPem(k.sslCa, "--ssl-ca");
  const cert = await readPem(k.sslCert, "--ssl-cert");
  const key = await readPem(k.sslKey, "--ssl-key");
  const options: KafkaConfig = {
    clientId: "tvstream",
    brokers: k.brokers,
    connectionTimeout: Math.min(k.connectTimeoutMs, 10_000),
    requestTimeout: 30_000,
    // A broker that is away for a minute costs time, never events.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 12 },
    logLevel: logLevel.NOTHING,
  };
  if (k.ssl) {
    options.ssl = ca || cert || key
      ? {
        ...(ca ? { ca: [ca] } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      }
      : true;
  }
  if (k.saslMechanism) {
    options.sasl = {
      mechanism: k.saslMechanism,
      username: k.saslUsername ?? "",
      password: secret ?? "",
    } as SASLOptions;
  }
  return new Kafka(options);
}

/** Fails with a clear error if `promise` does not settle in time. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new BrokerError(
                `${what}: no answer within ${Math.round(ms / 1000)} s`,
                {
                  retriable: true,
                },
              ),
            ),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface ProducerState {
  version: 1;
  fingerprint: string;
  position: Position;
}

/** The stream a producer checkpoint belongs to: same flags, same stream. */
function fingerprint(config: Config): string {
  const g = config.generator;
  return JSON.stringify([
    config.topic,
    g.seed,
    g.households ?? null,
    g.fromMs ?? null,
    g.toMs ?? null,
  ]);
}

/** Records kafkajs may fetch ahead of the writer (about 5 MB of events). */
const PREFETCH_RECORDS = 10_000;

// kafkajs writes every varint through `Buffer.from([...bytes])`. Under Deno
// that allocates a fresh ArrayBuffer each time (about 0.7 us; Node takes it
// from a pool), and a record has six to eight varints: this was half of the
// producer's time. The same bytes, written in place. Decoding is untouched;
// tests check these writers against kafkajs's own decoder.
Encoder.prototype.writeUVarInt = function (this: Encoder, value: number) {
  this.ensureAvailable(5);
  const buf = this.buf;
  let at = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value & 0x7f;
  this.offset = at;
  return this;
};
Encoder.prototype.writeVarLong = function (
  this: Encoder,
  value: number | string | bigint | { value: bigint },
) {
  let v = BigInt.asUintN(64, Encoder.encodeZigZag64(value).value);
  this.ensureAvailable(10);
  const buf = this.buf;
  let at = this.offset;
  while (v >= 0x80n) {
    buf[at++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[at++] = Number(v);
  this.offset = at;
  return this;
};

/** The `schema` header of every record. */
const SCHEMA_HEADER = String(SCHEMA_VERSION);

/** A record value as kafkajs takes it: a string, or bytes as a Buffer view (no copy). */
function wire(value: string | Uint8Array): string | Buffer {
  return typeof value === "string"
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Connects a producer; returns the sink and where a restarted run resumes. */
export async function connectProducerSink(
  config: Config,
  secret: string | undefined,
): Promise<
  { sink: Sink; resume?: Position; onAck: (p: Position) => Promise<void> }
> {
  const kafka = await createClient(config, secret);
  const timeout = config.kafka!.connectTimeoutMs;
  const brokers = config.kafka!.brokers.join(",");
  const admin = kafka.admin();
  try {
    await within(admin.connect(), timeout, `Cannot reach Kafka at ${brokers}`);
  } catch (error) {
    await admin.disconnect().catch(() => {});
    throw error instanceof BrokerError
      ? error
      : brokerError(`Cannot reach Kafka at ${brokers}`, error);
  }
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(config.topic)) {
      await admin.createTopics({
        topics: [{ topic: config.topic, numPartitions: config.partitions }],
        waitForLeaders: true,
        timeout: 5000,
      });
    }
  } catch {
    // Some clusters (and kcat's mock) do not support CreateTopics: fall back
    // to auto-creation on first produce.
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  try {
    await within(
      producer.connect(),
      timeout,
      `Cannot reach Kafka at ${brokers}`,
    );
  } catch (error) {
    await producer.disconnect().catch(() => {});
    throw error instanceof BrokerError
      ? error
      : brokerError(`Cannot reach Kafka at ${brokers}`, error);
  }
  const statePath = join(config.sink.checkpoint, "producer.json");
  const print = fingerprint(config);
  let resume: Position | undefined;
  try {
    const state = JSON.parse(
      await Deno.readTextFile(statePath),
    ) as ProducerState;
    if (state.fingerprint !== print) {
      await producer.disconnect();
      throw new RangeError(
        `Cannot resume from "${statePath}": it was written with other --topic/--seed/--households/--from/--to flags; use another --checkpoint or remove it`,
      );
    }
    resume = state.position;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      if (error instanceof RangeError) throw error;
      if (error instanceof SyntaxError) {
        throw new SyntaxError(
          `Cannot parse producer checkpoint "${statePath}": not valid JSON`,
        );
      }
      throw error;
    }
  }
  const compression = config.kafkaCompression === "gzip"
    ? CompressionTypes.GZIP
    : CompressionTypes.None;
  // The position of the last acknowledged batch is saved at most once a
  // second and on close: an fsync per batch cost a tenth of the producer's
  // throughput. After a kill, at most a second of events is produced again,
  // and the consumer drops those by stream position.
  // kafkajs encodes each header through a buffer of its own (about 1 us
  // under Deno): `--headers seq` leaves out `event` and `schema` for about a
  // quarter more speed. `seq` is what the consumer deduplicates re-sent
  // records by, so it is always there.
  const all = config.headers === "all";
  let acked: Position | undefined;
  let saved: Position | undefined;
  let savedAt = 0;
  const save = async () => {
    if (!acked || acked === saved) return;
    const position = acked;
    await writeFileAtomic(
      statePath,
      new TextEncoder().encode(
        JSON.stringify(
          { version: 1, fingerprint: print, position } satisfies ProducerState,
        ),
      ),
    );
    saved = position;
    savedAt = Date.now();
  };
  return {
    ...(resume ? { resume } : {}),
    onAck: async (position) => {
      acked = position;
      if (Date.now() - savedAt >= 1_000) await save();
    },
    sink: {
      async send(records: OutRecord[]) {
        try {
          await producer.send({
            topic: config.topic,
            acks: config.acks,
            compression,
            messages: records.map((r) => ({
              key: r.key,
              value: wire(r.value),
              timestamp: String(r.timestamp),
              headers: all
                ? { event: r.event, schema: SCHEMA_HEADER, seq: String(r.seq) }
                : { seq: String(r.seq) },
            })),
          });
        } catch (error) {
          throw brokerError(`Cannot produce to topic "${config.topic}"`, error);
        }
      },
      async close() {
        try {
          await save();
        } finally {
          await producer.disconnect().catch(() => {});
        }
      },
    },
  };
}

/** Connects a consumer in `--group`; offsets come from tvstream's checkpoint. */
export async function connectConsumerSource(
  config: Config,
  secret: string | undefined,
): Promise<Source> {
  const kafka = await createClient(config, secret);
  const brokers = config.kafka!.brokers.join(",");
  const consumer = kafka.consumer({
    groupId: config.sink.group,
    sessionTimeout: config.kafka!.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, config.kafka!.sessionTimeoutMs / 3),
    maxBytesPerPartition: 1 << 20,
    maxBytes: 8 << 20,
    // Idle fetches return after 1 s, not 5: a stop waits for the fetch in
    // flight, so this is how long Ctrl-C or --until-idle takes to leave.
    maxWaitTimeInMs: 1_000,
    allowAutoTopicCreation: true,
  });
  try {
    await within(
      consumer.connect(),
      config.kafka!.connectTimeoutMs,
      `Cannot reach Kafka at ${brokers}`,
    );
    await consumer.subscribe({ topic: config.topic, fromBeginning: true });
  } catch (error) {
    await consumer.disconnect().catch(() => {});
    throw error instanceof BrokerError
      ? error
      : brokerError(`Cannot reach Kafka at ${brokers}`, error);
  }
  const queue: { delivery: Delivery; done: () => void }[] = [];
  let queuedRecords = 0;
  let current: { done: () => void } | undefined;
  let wake: (() => void) | undefined;
  let failure: unknown;
  let closed = false;
  // Partitions whose seek has been applied; batches fetched before it
  // (from the group's offsets) are ignored, not mistaken for gaps.
  const ready = new Set<number>();
  let assigned: number[] = [];
  const enqueue = (delivery: Delivery) =>
    new Promise<void>((done) => {
      if (closed) return done();
      queue.push({ delivery, done });
      wake?.();
    });
  consumer.on(consumer.events.REBALANCING, () => {
    ready.clear();
    void enqueue({ type: "revoked" });
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    ready.clear();
    assigned = [...(event.payload.memberAssignment[config.topic] ?? [])].sort((
      a,
      b,
    ) => a - b);
    void enqueue({ type: "assigned", partitions: assigned });
  });
  let restarts = 0;
  // kafkajs does not restart after non-retriable errors. During rebalances
  // kcat's mock (and real brokers under churn) answer INVALID_REQUEST or
  // close connections now and then: that is not fatal to us. Drop what is
  // unflushed, rejoin, and resume from the checkpoint, a few times.
  const restart = async (cause: unknown): Promise<void> => {
    let last = cause;
    while (!closed && restarts < 5) {
      restarts++;
      await new Promise((r) => setTimeout(r, 500 * restarts));
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: config.topic, fromBeginning: true });
        running = undefined;
        await start();
        return;
      } catch (e) {
        last = e;
      }
    }
    if (!closed) failure = last;
    wake?.();
  };
  consumer.on(consumer.events.CRASH, (event) => {
    // kafkajs restarts the consumer itself after retriable crashes.
    if (event.payload.restart) return;
    if (!closed && restarts < 5) {
      ready.clear();
      void enqueue({ type: "revoked" });
      void restart(event.payload.error);
      return;
    }
    failure = event.payload.error;
    wake?.();
  });
  let running: Promise<void> | undefined;
  const start = () =>
    running ??= consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (
        { batch, resolveOffset, heartbeat, isRunning, isStale },
      ) => {
        if (
          closed || !isRunning() || isStale() || !ready.has(batch.partition)
        ) return;
        const records: InRecord[] = batch.messages.map((m) => {
          const seqHeader = m.headers?.["seq"];
          const seq = seqHeader === undefined
            ? undefined
            : Number(String(seqHeader));
          return {
            offset: m.offset,
            value: m.value
              ? new Uint8Array(
                m.value.buffer,
                m.value.byteOffset,
                m.value.byteLength,
              )
              : null,
            ...(seq !== undefined && Number.isFinite(seq) ? { seq } : {}),
          };
        });
        if (records.length === 0) return;
        // Backpressure: kafkajs keeps fetching while fewer than
        // PREFETCH_RECORDS wait for the writer, then waits until it takes
        // this batch. Fetching and writing overlap; memory stays bounded.
        queuedRecords += records.length;
        const taken = enqueue({
          type: "batch",
          batch: {
            topic: batch.topic,
            partition: batch.partition,
            records,
            highWatermark: batch.highWatermark,
          },
        });
        if (queuedRecords > PREFETCH_RECORDS) await taken;
        resolveOffset(batch.lastOffset());
        await heartbeat().catch(() => {});
      },
    });
  return {
    async *deliveries(
      options: { signal: AbortSignal },
    ): AsyncGenerator<Delivery> {
      await start();
      const onAbort = () => wake?.();
      options.signal.addEventListener("abort", onAbort);
      try {
        while (!options.signal.aborted) {
          if (failure) throw brokerError("Consumer stopped", failure);
          const item = queue.shift();
          if (!item) {
            await new Promise<void>((r) => (wake = r));
            wake = undefined;
            continue;
          }
          // A batch is released as soon as it is taken; control deliveries
          // once handled, so a rebalance waits for the seek.
          if (item.delivery.type === "batch") {
            queuedRecords -= item.delivery.batch.records.length;
            item.done();
          }
          current = item;
          yield item.delivery;
          current = undefined;
          item.done();
        }
      } finally {
        options.signal.removeEventListener("abort", onAbort);
        closed = true;
        // Release the batch being processed if the consumer stopped on it
        // (an error, or our own stop): kafkajs waits for eachBatch to return
        // before it can disconnect, so this would otherwise hang.
        current?.done();
        for (const item of queue.splice(0)) item.done();
      }
    },
    async seek(offsets: OffsetMap) {
      let low: { partition: number; low: string }[];
      try {
        low = await topicOffsets(kafka, config.topic, brokers, 30_000);
      } catch (error) {
        throw brokerError(
          `Cannot read offsets of topic "${config.topic}"`,
          error,
        );
      }
      for (const { partition, low: earliest } of low) {
        if (!assigned.includes(partition)) continue;
        const wanted = offsets[String(partition)];
        // A checkpoint below the log start points at records retention has
        // deleted. Seeking to the log start makes the first record we see
        // jump past the checkpoint, which the consumer reports as data loss
        // (or records as a gap), whatever the client's or broker's own
        // out-of-range reset would have done.
        const offset = wanted === undefined || BigInt(wanted) < BigInt(earliest)
          ? earliest
          : wanted;
        consumer.seek({ topic: config.topic, partition, offset });
        ready.add(partition);
      }
    },
    async commit(offsets: OffsetMap) {
      const list = Object.entries(offsets).map(([partition, offset]) => ({
        topic: config.topic,
        partition: Number(partition),
        offset,
      }));
      if (list.length === 0) return;
      try {
        // Bounded: during a rebalance or a restart kafkajs can wait on the
        // coordinator for a long time, and this commit is only a hint.
        await within(
          consumer.commitOffsets(list),
          10_000,
          "Cannot commit offsets",
        );
      } catch {
        // Group offsets are a hint for lag tools; the checkpoint is the truth.
        // A failed commit (e.g. during a rebalance) is retried at the next flush.
      }
    },
    async close() {
      closed = true;
      for (const item of queue.splice(0)) item.done();
      await consumer.disconnect().catch(() => {});
    },
  };
}

/** Returns each partition's high watermark (next offset to be written). */
export async function fetchHighWatermarks(
  config: Config,
  secret: string | undefined,
): Promise<Record<string, string>> {
  const kafka = await createClient(config, secret);
  const brokers = config.kafka!.brokers.join(",");
  try {
    const offsets = await topicOffsets(
      kafka,
      config.topic,
      brokers,
      config.kafka!.connectTimeoutMs,
    );
    return Object.fromEntries(
      offsets.map((o) => [String(o.partition), o.high]),
    );
  } catch (error) {
    throw error instanceof BrokerError ? error : brokerError(
      `Cannot read offsets of topic "${config.topic}" at ${brokers}`,
      error,
    );
  }
}

/** Each partition's low and high offsets, read with a short-lived admin client. */
async function topicOffsets(
  kafka: Kafka,
  topic: string,
  brokers: string,
  timeoutMs: number,
): Promise<{ partition: number; low: string; high: string }[]> {
  const admin = kafka.admin();
  try {
    await within(
      admin.connect(),
      timeoutMs,
      `Cannot reach Kafka at ${brokers}`,
    );
    return await within(
      admin.fetchTopicOffsets(topic),
      30_000,
      `Cannot read offsets of "${topic}"`,
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * The producer side of the Kafka adapter: a {@linkcode Sink} over a kafkajs
 * producer that waits out transient broker failures, resends a batch on a
 * fresh producer when kafkajs gives up on it, and remembers the end offset
 * of every partition it wrote to (what a bounded run drains to).
 *
 * Delivery: with `--acks all` the producer is idempotent, so retries inside
 * kafkajs never write a record twice. A batch resent after kafkajs gave up
 * may land twice; the consumer drops those by their `seq` header.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  CompressionTypes,
  type Kafka,
  Partitioners,
  type Producer,
} from "kafkajs";
import type { KafkaSettings, PipelineConfig } from "../config.ts";
import { SCHEMA_VERSION } from "../model/event.ts";
import type { Position } from "../model/simulator.ts";
import type { OffsetMap, OutRecord, Sink } from "../ports.ts";
import type { RelayTarget } from "./relay_sink.ts";
import { ProducerCheckpoint } from "./producer_checkpoint.ts";
import { BrokerError } from "../errors.ts";
import {
  brokerError,
  type ClientContext,
  clientContext,
  type OnRetry,
  within,
  withRetry,
} from "./client.ts";
import { installVarintWriters } from "./varints.ts";

/** The `schema` header of every record. */
const SCHEMA_HEADER = String(SCHEMA_VERSION);

/** A record value as kafkajs takes it: a string, or bytes as a Buffer view (no copy). */
function wire(value: string | Uint8Array): string | Buffer {
  return typeof value === "string"
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Creates the topic when the cluster allows it; otherwise the first produce does. */
async function ensureTopic(
  kafka: Kafka,
  config: PipelineConfig,
): Promise<void> {
  const admin = kafka.admin();
  const brokers = config.kafka!.brokers.join(",");
  try {
    await within(
      admin.connect(),
      config.kafka!.connectTimeoutMs,
      `Cannot reach Kafka at ${brokers}`,
    );
  } catch (error) {
    await admin.disconnect().catch(() => {});
    throw brokerError(`Cannot reach Kafka at ${brokers}`, error);
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
    // Some clusters (and librdkafka's mock) do not support CreateTopics.
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A kafkajs producer that records which partition each message went to, so
 * that an acknowledgement's base offsets give each partition's end offset.
 */
function openProducer(kafka: Kafka, idempotent: boolean) {
  const placed = new WeakMap<object, number>();
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: true,
    idempotent,
    ...(idempotent ? { maxInFlightRequests: 1 } : {}),
    createPartitioner: () => {
      const choose = Partitioners.DefaultPartitioner();
      return (args) => {
        const partition = choose(args);
        placed.set(args.message, partition);
        return partition;
      };
    },
  });
  return { producer, placed };
}

/**
 * Whether a failed connect reached the cluster and was refused (kafkajs's
 * own error as the cause), rather than timing out or finding no broker.
 */
function answeredButRefused(error: unknown): boolean {
  const cause = (error as Error).cause as { name?: string } | undefined;
  return cause !== undefined &&
    !/Connection|NumberOfRetries/.test(cause.name ?? "");
}

/** Connects a producer; returns the sink and where a restarted run resumes. */
export async function connectProducerSink(
  config: PipelineConfig,
  secret: string | undefined,
  log: (message: string) => void = () => {},
  retried?: (kind: string) => void,
): Promise<RelayTarget> {
  installVarintWriters();
  const ctx = await clientContext(config, secret, log, retried);
  await ensureTopic(ctx.kafka, config);
  const sink = new KafkaSink(ctx);
  await sink.connect();
  const checkpoint = new ProducerCheckpoint(config);
  let resume: Position | undefined;
  try {
    resume = await checkpoint.load();
  } catch (error) {
    await sink.disconnect();
    throw error;
  }
  sink.checkpoint = checkpoint;
  return {
    ...(resume ? { resume } : {}),
    onAck: (position) => checkpoint.acked(position),
    sink,
  };
}

type Message = { key: string; value: string | Buffer };

/** A kafkajs producer as a {@linkcode Sink}: retries, resends, end offsets. */
class KafkaSink implements Sink {
  /** Saved on close. */
  checkpoint: ProducerCheckpoint | undefined;
  readonly #kafka: Kafka;
  readonly #config: PipelineConfig;
  readonly #settings: KafkaSettings;
  readonly #log: (message: string) => void;
  readonly #compression: CompressionTypes;
  readonly #onRetry: OnRetry;
  #idempotent: boolean;
  /** `K/N` with `--shard`: the consumer keeps each slice's seqs apart. */
  readonly #shard: string | undefined;
  #current!: ReturnType<typeof openProducer>;
  /** kafkajs gave up on a batch: the next send goes out on a fresh producer. */
  #failedOnce = false;
  readonly #ends: OffsetMap = {};
  readonly #starts: OffsetMap = {};

  constructor(ctx: ClientContext) {
    const { config } = ctx;
    this.#kafka = ctx.kafka;
    this.#config = config;
    this.#settings = ctx.settings;
    this.#log = ctx.log;
    this.#onRetry = ctx.onRetry;
    this.#idempotent = config.acks === -1;
    const shard = config.generator.shard;
    this.#shard = shard ? `${shard.index + 1}/${shard.count}` : undefined;
    this.#compression = config.kafkaCompression === "gzip"
      ? CompressionTypes.GZIP
      : CompressionTypes.None;
  }

  /**
   * Connects, idempotent when `--acks all`. A cluster that answers but
   * cannot give out producer ids (older brokers, an IdempotentWrite ACL
   * missing, librdkafka's mock) gets a plain producer: retries may then
   * write a record twice, and the consumer drops those by `seq`.
   */
  async connect(): Promise<void> {
    try {
      this.#current = await this.#open();
    } catch (error) {
      if (!this.#idempotent || !answeredButRefused(error)) throw error;
      this.#idempotent = false;
      this.#current = await this.#open();
      this.#log(
        `the cluster refused an idempotent producer (${
          (error as Error).message
        }); producing without idempotence, duplicates are dropped by seq`,
      );
    }
  }

  /** Disconnects without saving. */
  async disconnect(): Promise<void> {
    await this.#current.producer.disconnect().catch(() => {});
  }

  async send(records: OutRecord[]): Promise<void> {
    const all = this.#config.headers === "all";
    const shard = this.#shard;
    const messages = records.map((r) => {
      const headers: Record<string, string> = all
        ? { event: r.event, schema: SCHEMA_HEADER, seq: String(r.seq) }
        : { seq: String(r.seq) };
      if (shard !== undefined) headers["shard"] = shard;
      return {
        key: r.key,
        value: wire(r.value),
        timestamp: String(r.timestamp),
        headers,
      };
    });
    const topic = this.#config.topic;
    const started = Date.now();
    let pending: Message[] = messages;
    while (pending.length > 0) {
      const { meta, placed } = await withRetry(
        `Cannot produce to topic "${topic}"`,
        this.#settings,
        () => this.#sendOnce(pending),
        this.#onRetry,
      );
      pending = this.#settle(pending, meta, placed);
      if (pending.length === 0) break;
      // kafkajs retries a failed request only on the brokers that have
      // not answered yet, so a partition whose leader moved to one that
      // had answered is silently left out of the retry. Every partition
      // written must appear in the acknowledgement; the rest go again
      // (their copies, if any landed, are dropped by seq).
      if (Date.now() - started > this.#settings.retryTimeoutMs) {
        throw new BrokerError(
          `Cannot produce to topic "${topic}": ${pending.length} records stayed unacknowledged for --retry-timeout`,
        );
      }
      this.#log(
        `${pending.length} records were not acknowledged (a partition leader moved during a retry); sending them again`,
      );
      this.#failedOnce = true;
    }
  }

  endOffsets(): OffsetMap {
    return { ...this.#ends };
  }

  startOffsets(): OffsetMap {
    return { ...this.#starts };
  }

  async close(): Promise<void> {
    try {
      await this.checkpoint?.save();
    } finally {
      await this.disconnect();
    }
  }

  async #open(): Promise<ReturnType<typeof openProducer>> {
    const brokers = this.#settings.brokers.join(",");
    const opened = openProducer(this.#kafka, this.#idempotent);
    try {
      await within(
        opened.producer.connect(),
        this.#settings.connectTimeoutMs,
        `Cannot reach Kafka at ${brokers}`,
      );
      return opened;
    } catch (error) {
      await opened.producer.disconnect().catch(() => {});
      throw brokerError(`Cannot reach Kafka at ${brokers}`, error);
    }
  }

  /**
   * One send. After kafkajs gave up on a batch its producer may be
   * mid-reconnect or hold a broken idempotence sequence, so the batch goes
   * out on a fresh one.
   */
  async #sendOnce(messages: Message[]) {
    if (this.#failedOnce) {
      await this.disconnect();
      this.#current = await this.#open();
      this.#failedOnce = false;
    }
    try {
      const meta = await this.#current.producer.send({
        topic: this.#config.topic,
        acks: this.#config.acks,
        compression: this.#compression,
        messages,
      });
      return { meta, placed: this.#current.placed };
    } catch (error) {
      this.#failedOnce = true;
      throw error;
    }
  }

  /**
   * Records each acknowledged partition's start and end offsets; returns
   * the messages whose partition the acknowledgement does not cover.
   */
  #settle<M extends object>(
    sent: M[],
    meta: { partition: number; baseOffset?: string }[],
    placed: WeakMap<object, number>,
  ): M[] {
    const counts = new Map<number, number>();
    for (const m of sent) {
      const p = placed.get(m);
      if (p !== undefined) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const acked = new Set<number>();
    for (const r of meta) {
      if (r.baseOffset === undefined) continue;
      acked.add(r.partition);
      const key = String(r.partition);
      this.#starts[key] ??= r.baseOffset;
      const end = Number(r.baseOffset) + (counts.get(r.partition) ?? 0);
      if (end > Number(this.#ends[key] ?? -1)) this.#ends[key] = String(end);
    }
    return sent.filter((m) => !acked.has(placed.get(m) ?? -1));
  }
}

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
import { join } from "node:path";
import { Buffer } from "node:buffer";
import {
  CompressionTypes,
  type Kafka,
  Partitioners,
  type Producer,
} from "kafkajs";
import type { Config } from "../config.ts";
import { SCHEMA_VERSION } from "../model/event.ts";
import type { Position } from "../model/simulator.ts";
import type { OffsetMap, OutRecord } from "../ports.ts";
import type { RelayTarget } from "./relay_sink.ts";
import { writeFileAtomic } from "../warehouse/fs.ts";
import { BrokerError } from "../errors.ts";
import {
  brokerError,
  createClient,
  type OnRetry,
  within,
  withRetry,
} from "./client.ts";
import { installVarintWriters } from "./varints.ts";

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

/** The `schema` header of every record. */
const SCHEMA_HEADER = String(SCHEMA_VERSION);

/** A record value as kafkajs takes it: a string, or bytes as a Buffer view (no copy). */
function wire(value: string | Uint8Array): string | Buffer {
  return typeof value === "string"
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Reads the producer checkpoint: where a restarted stream resumes. */
async function loadResume(
  path: string,
  print: string,
): Promise<Position | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let state: ProducerState;
  try {
    state = JSON.parse(text) as ProducerState;
  } catch {
    throw new SyntaxError(
      `Cannot parse producer checkpoint "${path}": not valid JSON`,
    );
  }
  if (state.fingerprint !== print) {
    throw new RangeError(
      `Cannot resume from "${path}": it was written with other --topic/--seed/--households/--from/--to flags; use another --checkpoint or remove it`,
    );
  }
  return state.position;
}

/** Creates the topic when the cluster allows it; otherwise the first produce does. */
async function ensureTopic(kafka: Kafka, config: Config): Promise<void> {
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
  config: Config,
  secret: string | undefined,
  log: (message: string) => void = () => {},
): Promise<RelayTarget> {
  installVarintWriters();
  const kafka = await createClient(config, secret);
  const settings = config.kafka!;
  const brokers = settings.brokers.join(",");
  await ensureTopic(kafka, config);
  let idempotent = config.acks === -1;
  const connect = async () => {
    const opened = openProducer(kafka, idempotent);
    try {
      await within(
        opened.producer.connect(),
        settings.connectTimeoutMs,
        `Cannot reach Kafka at ${brokers}`,
      );
      return opened;
    } catch (error) {
      await opened.producer.disconnect().catch(() => {});
      throw brokerError(`Cannot reach Kafka at ${brokers}`, error);
    }
  };
  let current: ReturnType<typeof openProducer>;
  try {
    current = await connect();
  } catch (error) {
    // A cluster that answers but cannot give out producer ids (older
    // brokers, an IdempotentWrite ACL missing, librdkafka's mock) gets a
    // plain producer: retries may then write a record twice, and the
    // consumer drops those by `seq`.
    if (!idempotent || !answeredButRefused(error)) throw error;
    idempotent = false;
    current = await connect();
    log(
      `the cluster refused an idempotent producer (${
        (error as Error).message
      }); producing without idempotence, duplicates are dropped by seq`,
    );
  }
  const statePath = join(config.sink.checkpoint, "producer.json");
  const print = fingerprint(config);
  let resume: Position | undefined;
  try {
    resume = await loadResume(statePath, print);
  } catch (error) {
    await current.producer.disconnect().catch(() => {});
    throw error;
  }
  const compression = config.kafkaCompression === "gzip"
    ? CompressionTypes.GZIP
    : CompressionTypes.None;
  const all = config.headers === "all";
  const ends: OffsetMap = {};
  const starts: OffsetMap = {};
  // The position of the last acknowledged batch is saved at most once a
  // second and on close: an fsync per batch cost a tenth of the producer's
  // throughput. After a kill, at most a second of events is produced again,
  // and the consumer drops those by stream position.
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
  const onRetry: OnRetry = (error, waitMs) =>
    log(`retrying in ${(waitMs / 1000).toFixed(1)} s: ${error.message}`);
  // kafkajs gave up on a batch: its producer may be mid-reconnect or hold
  // a broken idempotence sequence, so the batch goes out on a fresh one.
  let failedOnce = false;
  const sendOnce = async (
    messages: { key: string; value: string | Buffer }[],
  ) => {
    if (failedOnce) {
      await current.producer.disconnect().catch(() => {});
      current = await connect();
      failedOnce = false;
    }
    try {
      const meta = await current.producer.send({
        topic: config.topic,
        acks: config.acks,
        compression,
        messages,
      });
      return { meta, placed: current.placed };
    } catch (error) {
      failedOnce = true;
      throw error;
    }
  };
  /**
   * Records each acknowledged partition's start and end offsets; returns
   * the messages whose partition the acknowledgement does not cover.
   */
  const settle = <M extends object>(
    sent: M[],
    meta: { partition: number; baseOffset?: string }[],
    placed: WeakMap<object, number>,
  ): M[] => {
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
      starts[key] ??= r.baseOffset;
      const end = Number(r.baseOffset) + (counts.get(r.partition) ?? 0);
      if (end > Number(ends[key] ?? -1)) ends[key] = String(end);
    }
    return sent.filter((m) => !acked.has(placed.get(m) ?? -1));
  };
  return {
    ...(resume ? { resume } : {}),
    onAck: async (position) => {
      acked = position;
      if (Date.now() - savedAt >= 1_000) await save();
    },
    sink: {
      async send(records: OutRecord[]) {
        const messages = records.map((r) => ({
          key: r.key,
          value: wire(r.value),
          timestamp: String(r.timestamp),
          headers: all
            ? { event: r.event, schema: SCHEMA_HEADER, seq: String(r.seq) }
            : { seq: String(r.seq) },
        }));
        const started = Date.now();
        let pending = messages;
        while (pending.length > 0) {
          const { meta, placed } = await withRetry(
            `Cannot produce to topic "${config.topic}"`,
            settings,
            () => sendOnce(pending),
            onRetry,
          );
          pending = settle(pending, meta, placed);
          if (pending.length === 0) break;
          // kafkajs retries a failed request only on the brokers that have
          // not answered yet, so a partition whose leader moved to one that
          // had answered is silently left out of the retry. Every partition
          // written must appear in the acknowledgement; the rest go again
          // (their copies, if any landed, are dropped by seq).
          if (Date.now() - started > settings.retryTimeoutMs) {
            throw new BrokerError(
              `Cannot produce to topic "${config.topic}": ${pending.length} records stayed unacknowledged for --retry-timeout`,
              { retriable: false },
            );
          }
          log(
            `${pending.length} records were not acknowledged (a partition leader moved during a retry); sending them again`,
          );
          failedOnce = true;
        }
      },
      endOffsets: () => ({ ...ends }),
      startOffsets: () => ({ ...starts }),
      async close() {
        try {
          await save();
        } finally {
          await current.producer.disconnect().catch(() => {});
        }
      },
    },
  };
}

/**
 * The consumer side of the Kafka adapter: a {@linkcode Source} over a
 * kafkajs consumer group. tvstream's checkpoint owns the offsets; the group
 * only says which partitions are ours.
 *
 * Every partition is read from exactly the offset `seek` returned, and each
 * delivered batch continues where the previous one ended. A batch that
 * starts further on is checked against the broker's log start: if the
 * records are still there the client was out of place (a stale fetch, a
 * seek race) and is put back; only records the broker no longer has reach
 * the consumer as a jump, which it treats as data loss.
 *
 * A kafkajs consumer that crashes for good (kafkajs does not restart after
 * non-retriable errors) is replaced by a new one that rejoins the group;
 * the consumer sees a revocation and a new assignment, and resumes from its
 * checkpoint. Only fatal failures (authentication, authorization) and ones
 * that outlast `--retry-timeout` end the source.
 *
 * @module
 */
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { KafkaSettings, PipelineConfig } from "../config.ts";
import type { Delivery, InRecord, OffsetMap, Source } from "../ports.ts";
import {
  brokerError,
  type ClientContext,
  clientContext,
  isFatal,
  type OnRetry,
  topicOffsets,
  within,
  withRetry,
} from "./client.ts";

/** Records kafkajs may fetch ahead of the writer (about 5 MB of events). */
const PREFETCH_RECORDS = 10_000;

/** Converts a kafkajs batch's messages from `from` on into records. */
function toRecords(
  messages: EachBatchPayload["batch"]["messages"],
  from: number,
): InRecord[] {
  const records: InRecord[] = new Array(messages.length - from);
  for (let i = from; i < messages.length; i++) {
    const m = messages[i]!;
    const seqHeader = m.headers?.["seq"];
    const seq = seqHeader === undefined ? undefined : Number(String(seqHeader));
    const shard = m.headers?.["shard"];
    records[i - from] = {
      offset: m.offset,
      value: m.value
        ? new Uint8Array(m.value.buffer, m.value.byteOffset, m.value.byteLength)
        : null,
      ...(seq !== undefined && Number.isFinite(seq) ? { seq } : {}),
      ...(shard !== undefined ? { shard: String(shard) } : {}),
    };
  }
  return records;
}

/** Connects a consumer in `--group`; offsets come from tvstream's checkpoint. */
export async function connectConsumerSource(
  config: PipelineConfig,
  secret: string | undefined,
  log: (message: string) => void = () => {},
  retried?: (kind: string) => void,
): Promise<Source> {
  const source = new KafkaSource(
    await clientContext(config, secret, log, retried),
  );
  await source.start();
  return source;
}

interface Queued {
  delivery: Delivery;
  done: () => void;
}

/** A kafkajs consumer group member, seen as a {@linkcode Source}. */
class KafkaSource implements Source {
  readonly #kafka: Kafka;
  readonly #config: PipelineConfig;
  readonly #settings: KafkaSettings;
  readonly #topic: string;
  readonly #log: (message: string) => void;
  readonly #queue: Queued[] = [];
  #queuedRecords = 0;
  #current: Queued | undefined;
  #wake: (() => void) | undefined;
  #failure: unknown;
  #closed = false;
  /** Partitions sought since the last (re)join; others' batches are ignored. */
  readonly #ready = new Set<number>();
  /** Per partition: the next offset to deliver. */
  readonly #position = new Map<number, number>();
  /** Per partition: since when its batches have started past `position`. */
  readonly #outOfPlaceSince = new Map<number, number>();
  /** Log start offsets read lately, so that a run of stale batches asks once. */
  readonly #lows = new Map<number, { low: number; at: number }>();
  #assigned: number[] = [];
  #generation = 0;
  #consumer!: Consumer;
  readonly #onRetry: OnRetry;

  constructor(ctx: ClientContext) {
    this.#kafka = ctx.kafka;
    this.#config = ctx.config;
    this.#settings = ctx.settings;
    this.#topic = ctx.config.topic;
    this.#log = ctx.log;
    this.#onRetry = ctx.onRetry;
  }

  /** Connects and joins the group. */
  async start(): Promise<void> {
    const brokers = this.#settings.brokers.join(",");
    try {
      await this.#open(
        this.#generation,
        this.#settings.connectTimeoutMs,
        `Cannot reach Kafka at ${brokers}`,
      );
    } catch (error) {
      throw brokerError(`Cannot reach Kafka at ${brokers}`, error);
    }
  }

  async *deliveries(
    options: { signal: AbortSignal },
  ): AsyncGenerator<Delivery> {
    const onAbort = () => this.#wake?.();
    options.signal.addEventListener("abort", onAbort);
    try {
      while (!options.signal.aborted) {
        if (this.#failure) throw brokerError("Consumer stopped", this.#failure);
        const item = this.#queue.shift();
        if (!item) {
          await new Promise<void>((r) => (this.#wake = r));
          this.#wake = undefined;
          continue;
        }
        // A batch is released as soon as it is taken; control deliveries
        // once handled, so a rebalance waits for the seek.
        if (item.delivery.type === "batch") {
          this.#queuedRecords -= item.delivery.batch.records.length;
          item.done();
        }
        this.#current = item;
        yield item.delivery;
        this.#current = undefined;
        item.done();
      }
    } finally {
      options.signal.removeEventListener("abort", onAbort);
      this.#closed = true;
      // Release the batch being processed if the consumer stopped on it:
      // kafkajs waits for eachBatch to return before it can disconnect.
      this.#current?.done();
      for (const item of this.#queue.splice(0)) item.done();
    }
  }

  async seek(offsets: OffsetMap): Promise<OffsetMap> {
    const topic = this.#topic;
    const bounds = await this.#readBounds();
    const starts: OffsetMap = {};
    for (const { partition, low } of bounds) {
      if (!this.#assigned.includes(partition)) continue;
      const wanted = offsets[String(partition)];
      // Below the log start, retention has deleted what the checkpoint
      // points at: start at the log start and let the caller see the loss.
      const start = wanted === undefined || BigInt(wanted) < BigInt(low)
        ? low
        : wanted;
      this.#position.set(partition, Number(start));
      this.#outOfPlaceSince.delete(partition);
      try {
        this.#consumer.seek({ topic, partition, offset: start });
      } catch {
        // The consumer is being replaced; its next assignment seeks again.
      }
      this.#ready.add(partition);
      starts[String(partition)] = start;
    }
    return starts;
  }

  async endOffsets(): Promise<OffsetMap> {
    const bounds = await this.#readBounds();
    return Object.fromEntries(bounds.map((b) => [String(b.partition), b.high]));
  }

  async commit(offsets: OffsetMap): Promise<void> {
    const list = Object.entries(offsets).map(([partition, offset]) => ({
      topic: this.#topic,
      partition: Number(partition),
      offset,
    }));
    if (list.length === 0) return;
    try {
      // Bounded: during a rebalance or a restart kafkajs can wait on the
      // coordinator for a long time, and this commit is only a hint.
      await within(this.#consumer.commitOffsets(list), 10_000, "commit");
    } catch {
      // Group offsets are a hint for lag tools; the checkpoint is the truth.
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#generation++;
    for (const item of this.#queue.splice(0)) item.done();
    await within(this.#consumer.disconnect(), 15_000, "disconnect").catch(
      () => {},
    );
  }

  #readBounds() {
    return withRetry(
      `Cannot read offsets of topic "${this.#topic}"`,
      this.#settings,
      () => topicOffsets(this.#kafka, this.#topic, 30_000),
      this.#onRetry,
    );
  }

  #enqueue(delivery: Delivery): Promise<void> {
    return new Promise<void>((done) => {
      if (this.#closed) return done();
      this.#queue.push({ delivery, done });
      this.#wake?.();
    });
  }

  #fail(error: unknown): void {
    this.#failure = error;
    this.#wake?.();
  }

  /**
   * Whether the records from `want` on are gone from the broker (read from
   * its log start); `undefined` when it cannot be asked right now.
   */
  async #gone(partition: number, want: number): Promise<boolean | undefined> {
    let known = this.#lows.get(partition);
    if (!known || Date.now() - known.at > 1_000) {
      try {
        const bounds = await topicOffsets(this.#kafka, this.#topic, 10_000);
        for (const b of bounds) {
          this.#lows.set(b.partition, { low: Number(b.low), at: Date.now() });
        }
      } catch {
        return undefined;
      }
      known = this.#lows.get(partition);
    }
    return known === undefined ? undefined : known.low > want;
  }

  /**
   * A batch started past `want` although the broker still has the records:
   * the client is out of place (a stale prefetch, a seek race). Seek back;
   * only if that keeps failing for --retry-timeout is it an error.
   */
  #reposition(partition: number, want: number): void {
    const since = this.#outOfPlaceSince.get(partition);
    if (since === undefined) {
      this.#outOfPlaceSince.set(partition, Date.now());
      this.#log(`partition ${partition}: refetching from offset ${want}`);
    } else if (Date.now() - since > this.#settings.retryTimeoutMs) {
      this.#fail(
        new Error(
          `Partition ${partition}: the client keeps reading past offset ${want} although the broker still has it (a compacted topic?)`,
        ),
      );
      return;
    }
    try {
      this.#consumer.seek({
        topic: this.#topic,
        partition,
        offset: String(want),
      });
    } catch {
      // The consumer is being replaced; its next assignment seeks again.
    }
  }

  /** kafkajs's batch handler for consumer generation `gen`. */
  async #eachBatch(
    gen: number,
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  ): Promise<void> {
    const p = batch.partition;
    if (
      this.#closed || gen !== this.#generation || !isRunning() || isStale() ||
      !this.#ready.has(p)
    ) return;
    const want = this.#position.get(p);
    if (want === undefined) return;
    const messages = batch.messages;
    let from = 0;
    while (from < messages.length && Number(messages[from]!.offset) < want) {
      from++;
    }
    if (from === messages.length) {
      // Records we already have (a stale fetch): go on from `want`.
      resolveOffset(String(want - 1));
      return;
    }
    // Past `want`: a loss only if the broker confirms the records are gone.
    if (
      Number(messages[from]!.offset) > want &&
      await this.#gone(p, want) !== true
    ) {
      this.#reposition(p, want);
      return;
    }
    this.#outOfPlaceSince.delete(p);
    const records = toRecords(messages, from);
    this.#position.set(p, Number(records[records.length - 1]!.offset) + 1);
    // Backpressure: kafkajs keeps fetching while fewer than
    // PREFETCH_RECORDS wait for the writer, then waits until it takes this
    // batch. Fetching and writing overlap; memory stays bounded.
    this.#queuedRecords += records.length;
    const taken = this.#enqueue({
      type: "batch",
      batch: {
        topic: this.#topic,
        partition: p,
        records,
        highWatermark: batch.highWatermark,
      },
    });
    if (this.#queuedRecords > PREFETCH_RECORDS) await taken;
    resolveOffset(batch.lastOffset());
    await heartbeat().catch(() => {});
  }

  /** Creates, connects and runs a kafkajs consumer for generation `gen`. */
  async #open(gen: number, connectMs: number, what: string): Promise<void> {
    const settings = this.#settings;
    const c = this.#kafka.consumer({
      groupId: this.#config.sink.group,
      sessionTimeout: settings.sessionTimeoutMs,
      rebalanceTimeout: Math.max(settings.sessionTimeoutMs, 10_000),
      heartbeatInterval: Math.min(3_000, settings.sessionTimeoutMs / 3),
      maxBytesPerPartition: 1 << 20,
      maxBytes: 8 << 20,
      // Idle fetches return after 1 s, not 5: a stop waits for the fetch in
      // flight, so this is how long Ctrl-C or --until-idle takes to leave.
      maxWaitTimeInMs: 1_000,
      allowAutoTopicCreation: true,
    });
    this.#listen(c, gen);
    this.#consumer = c;
    try {
      await within(c.connect(), connectMs, what);
      await c.subscribe({ topic: this.#topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.#eachBatch(gen, payload),
      });
    } catch (error) {
      await c.disconnect().catch(() => {});
      throw error;
    }
  }

  /** Turns the group's events into deliveries, and crashes into a rejoin. */
  #listen(c: Consumer, gen: number): void {
    c.on(c.events.REBALANCING, () => {
      if (gen !== this.#generation) return;
      this.#ready.clear();
      void this.#enqueue({ type: "revoked" });
    });
    c.on(c.events.GROUP_JOIN, (event) => {
      if (gen !== this.#generation) return;
      this.#ready.clear();
      this.#assigned = [
        ...(event.payload.memberAssignment[this.#topic] ?? []),
      ].sort((a, b) => a - b);
      void this.#enqueue({ type: "assigned", partitions: this.#assigned });
    });
    c.on(c.events.CRASH, (event) => {
      // kafkajs restarts by itself after retriable crashes.
      if (gen !== this.#generation || event.payload.restart) return;
      void this.#recover(event.payload.error);
    });
  }

  /** Replaces a consumer that kafkajs will not restart. */
  async #recover(cause: unknown): Promise<void> {
    if (this.#closed) return;
    if (isFatal(cause)) {
      this.#fail(cause);
      return;
    }
    const gen = ++this.#generation;
    this.#ready.clear();
    void this.#enqueue({ type: "revoked" });
    this.#log(
      `the Kafka consumer stopped (${
        brokerError("", cause).message.slice(2)
      }); rejoining the group`,
    );
    const old = this.#consumer;
    await within(old.disconnect(), 10_000, "disconnect").catch(() => {});
    try {
      await withRetry(
        "Cannot rejoin the consumer group",
        this.#settings,
        async () => {
          if (gen !== this.#generation || this.#closed) return;
          await this.#open(gen, 30_000, "Cannot reach Kafka");
        },
        this.#onRetry,
      );
    } catch (error) {
      if (gen === this.#generation && !this.#closed) this.#fail(error);
    }
  }
}

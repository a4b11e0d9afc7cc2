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
import type { Consumer, EachBatchPayload } from "kafkajs";
import type { Config } from "../config.ts";
import type { Delivery, InRecord, OffsetMap, Source } from "../ports.ts";
import {
  brokerError,
  createClient,
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
    records[i - from] = {
      offset: m.offset,
      value: m.value
        ? new Uint8Array(m.value.buffer, m.value.byteOffset, m.value.byteLength)
        : null,
      ...(seq !== undefined && Number.isFinite(seq) ? { seq } : {}),
    };
  }
  return records;
}

/** Connects a consumer in `--group`; offsets come from tvstream's checkpoint. */
export async function connectConsumerSource(
  config: Config,
  secret: string | undefined,
  log: (message: string) => void = () => {},
): Promise<Source> {
  const kafka = await createClient(config, secret);
  const settings = config.kafka!;
  const topic = config.topic;
  const queue: { delivery: Delivery; done: () => void }[] = [];
  let queuedRecords = 0;
  let current: { done: () => void } | undefined;
  let wake: (() => void) | undefined;
  let failure: unknown;
  let closed = false;
  /** Partitions sought since the last (re)join; others' batches are ignored. */
  const ready = new Set<number>();
  /** Per partition: the next offset to deliver. */
  const position = new Map<number, number>();
  /** Per partition: since when its batches have started past `position`. */
  const outOfPlaceSince = new Map<number, number>();
  /** Log start offsets read lately, so that a run of stale batches asks once. */
  const lows = new Map<number, { low: number; at: number }>();
  let assigned: number[] = [];
  let generation = 0;
  let consumer!: Consumer;

  const enqueue = (delivery: Delivery) =>
    new Promise<void>((done) => {
      if (closed) return done();
      queue.push({ delivery, done });
      wake?.();
    });
  const onRetry: OnRetry = (error, waitMs) =>
    log(`retrying in ${(waitMs / 1000).toFixed(1)} s: ${error.message}`);

  /**
   * Whether the records from `want` on are gone from the broker (read from
   * its log start); `undefined` when it cannot be asked right now.
   */
  const gone = async (partition: number, want: number) => {
    let known = lows.get(partition);
    if (!known || Date.now() - known.at > 1_000) {
      try {
        const bounds = await topicOffsets(kafka, topic, 10_000);
        for (const b of bounds) {
          lows.set(b.partition, { low: Number(b.low), at: Date.now() });
        }
      } catch {
        return undefined;
      }
      known = lows.get(partition);
    }
    return known === undefined ? undefined : known.low > want;
  };

  /**
   * A batch started past `want` although the broker still has the records:
   * the client is out of place (a stale prefetch, a seek race). Seek back;
   * only if that keeps failing for --retry-timeout is it an error.
   */
  const reposition = (partition: number, want: number) => {
    const since = outOfPlaceSince.get(partition);
    if (since === undefined) {
      outOfPlaceSince.set(partition, Date.now());
      log(`partition ${partition}: refetching from offset ${want}`);
    } else if (Date.now() - since > settings.retryTimeoutMs) {
      failure = new Error(
        `Partition ${partition}: the client keeps reading past offset ${want} although the broker still has it (a compacted topic?)`,
      );
      wake?.();
      return;
    }
    try {
      consumer.seek({ topic, partition, offset: String(want) });
    } catch {
      // The consumer is being replaced; its next assignment seeks again.
    }
  };

  const eachBatch = (gen: number) =>
  async (
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  ) => {
    const p = batch.partition;
    if (
      closed || gen !== generation || !isRunning() || isStale() ||
      !ready.has(p)
    ) return;
    const want = position.get(p);
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
      Number(messages[from]!.offset) > want && await gone(p, want) !== true
    ) {
      reposition(p, want);
      return;
    }
    outOfPlaceSince.delete(p);
    const records = toRecords(messages, from);
    position.set(p, Number(records[records.length - 1]!.offset) + 1);
    // Backpressure: kafkajs keeps fetching while fewer than
    // PREFETCH_RECORDS wait for the writer, then waits until it takes this
    // batch. Fetching and writing overlap; memory stays bounded.
    queuedRecords += records.length;
    const taken = enqueue({
      type: "batch",
      batch: {
        topic,
        partition: p,
        records,
        highWatermark: batch.highWatermark,
      },
    });
    if (queuedRecords > PREFETCH_RECORDS) await taken;
    resolveOffset(batch.lastOffset());
    await heartbeat().catch(() => {});
  };

  /** Creates, connects and runs a kafkajs consumer for this generation. */
  const open = async (gen: number, connectMs: number, what: string) => {
    const c = kafka.consumer({
      groupId: config.sink.group,
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
    c.on(c.events.REBALANCING, () => {
      if (gen !== generation) return;
      ready.clear();
      void enqueue({ type: "revoked" });
    });
    c.on(c.events.GROUP_JOIN, (event) => {
      if (gen !== generation) return;
      ready.clear();
      assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort(
        (a, b) => a - b,
      );
      void enqueue({ type: "assigned", partitions: assigned });
    });
    c.on(c.events.CRASH, (event) => {
      // kafkajs restarts by itself after retriable crashes.
      if (gen !== generation || event.payload.restart) return;
      void recover(event.payload.error);
    });
    consumer = c;
    try {
      await within(c.connect(), connectMs, what);
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: eachBatch(gen),
      });
    } catch (error) {
      await c.disconnect().catch(() => {});
      throw error;
    }
  };

  /** Replaces a consumer that kafkajs will not restart. */
  const recover = async (cause: unknown) => {
    if (closed) return;
    if (isFatal(cause)) {
      failure = cause;
      wake?.();
      return;
    }
    const gen = ++generation;
    ready.clear();
    void enqueue({ type: "revoked" });
    log(
      `the Kafka consumer stopped (${
        brokerError("", cause).message.slice(2)
      }); rejoining the group`,
    );
    const old = consumer;
    await within(old.disconnect(), 10_000, "disconnect").catch(() => {});
    try {
      await withRetry(
        "Cannot rejoin the consumer group",
        settings,
        async () => {
          if (gen !== generation || closed) return;
          await open(gen, 30_000, "Cannot reach Kafka");
        },
        onRetry,
      );
    } catch (error) {
      if (gen === generation && !closed) {
        failure = error;
        wake?.();
      }
    }
  };

  const brokers = settings.brokers.join(",");
  try {
    await open(
      generation,
      settings.connectTimeoutMs,
      `Cannot reach Kafka at ${brokers}`,
    );
  } catch (error) {
    throw brokerError(`Cannot reach Kafka at ${brokers}`, error);
  }

  const readBounds = () =>
    withRetry(
      `Cannot read offsets of topic "${topic}"`,
      settings,
      () => topicOffsets(kafka, topic, 30_000),
      onRetry,
    );

  return {
    async *deliveries(
      options: { signal: AbortSignal },
    ): AsyncGenerator<Delivery> {
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
        // Release the batch being processed if the consumer stopped on it:
        // kafkajs waits for eachBatch to return before it can disconnect.
        current?.done();
        for (const item of queue.splice(0)) item.done();
      }
    },
    async seek(offsets: OffsetMap) {
      const bounds = await readBounds();
      const starts: OffsetMap = {};
      for (const { partition, low } of bounds) {
        if (!assigned.includes(partition)) continue;
        const wanted = offsets[String(partition)];
        // Below the log start, retention has deleted what the checkpoint
        // points at: start at the log start and let the caller see the loss.
        const start = wanted === undefined || BigInt(wanted) < BigInt(low)
          ? low
          : wanted;
        position.set(partition, Number(start));
        outOfPlaceSince.delete(partition);
        try {
          consumer.seek({ topic, partition, offset: start });
        } catch {
          // The consumer is being replaced; its next assignment seeks again.
        }
        ready.add(partition);
        starts[String(partition)] = start;
      }
      return starts;
    },
    async endOffsets() {
      const bounds = await readBounds();
      return Object.fromEntries(
        bounds.map((b) => [String(b.partition), b.high]),
      );
    },
    async commit(offsets: OffsetMap) {
      const list = Object.entries(offsets).map(([partition, offset]) => ({
        topic,
        partition: Number(partition),
        offset,
      }));
      if (list.length === 0) return;
      try {
        // Bounded: during a rebalance or a restart kafkajs can wait on the
        // coordinator for a long time, and this commit is only a hint.
        await within(consumer.commitOffsets(list), 10_000, "commit");
      } catch {
        // Group offsets are a hint for lag tools; the checkpoint is the truth.
      }
    },
    async close() {
      closed = true;
      generation++;
      for (const item of queue.splice(0)) item.done();
      await within(consumer.disconnect(), 15_000, "disconnect").catch(() => {});
    },
  };
}

/**
 * The fetch relay: the fetcher worker runs the Kafka client and hands what
 * it delivers to the consumer worker over a MessagePort, so that fetching
 * and decoding (kafkajs) and parsing and writing Parquet (the consumer) run
 * on two cores.
 *
 * The consumer sees the same {@linkcode Source} it would in-thread: batches
 * and rebalances in order, a control delivery is handled (the next one is
 * not fetched from the client) before the consumer asks for the next, and
 * `seek`, `commit` and `close` are calls answered by the fetcher. Batches
 * travel as one transferred buffer each; at most {@linkcode WINDOW} records
 * are in flight, so memory stays bounded when the consumer falls behind.
 *
 * @module
 */
import type { Position } from "../model/simulator.ts";
import type {
  Delivery,
  InRecord,
  OffsetMap,
  RecordBatch,
  Source,
} from "../ports.ts";
import {
  createInbox,
  CreditWindow,
  type Port,
  Wakeup,
} from "../transport/port.ts";
import {
  type FetchMessage,
  type FetchReply,
  fromWireError,
  toWireError,
} from "../protocol.ts";

/** Records sent to the consumer and not yet taken, before the fetcher waits. */
const WINDOW = 20_000;

/**
 * Serves `source` to the consumer end until it closes the relay or `signal`
 * aborts; then closes `source`.
 */
export async function serveSourceRelay(
  port: Port<FetchReply>,
  source: Source,
  signal: AbortSignal,
  onBatch: (records: number) => void,
): Promise<void> {
  const relay = new FetchRelay(port, source, onBatch);
  const onAbort = () => relay.stop();
  signal.addEventListener("abort", onAbort);
  port.addEventListener("message", relay.onMessage);
  port.start?.();
  try {
    await relay.pump();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  await relay.finish();
}

/** The fetcher's end of the relay: the client's deliveries out, the consumer's calls in. */
class FetchRelay {
  readonly #port: Port<FetchReply>;
  readonly #source: Source;
  readonly #onBatch: (records: number) => void;
  /** Aborted to stop reading the client. */
  readonly #pump = new AbortController();
  readonly #window = new CreditWindow(WINDOW);
  readonly #wakeup = new Wakeup();
  /** Control deliveries the consumer has handled. */
  #handled = 0;
  /** The id of the consumer's close call, once it came. */
  #closing: number | undefined;
  #failed: unknown;

  constructor(
    port: Port<FetchReply>,
    source: Source,
    onBatch: (records: number) => void,
  ) {
    this.#port = port;
    this.#source = source;
    this.#onBatch = onBatch;
    this.#pump.signal.addEventListener("abort", () => this.#wakeup.wake());
  }

  /** Stops reading the client (stopped from outside). */
  stop(): void {
    this.#pump.abort();
  }

  /** Handles what the consumer end sends: credit, handled controls, calls. */
  readonly onMessage = (e: MessageEvent): void => {
    const m = e.data as FetchMessage;
    switch (m.type) {
      case "taken":
        this.#window.credit(m.records);
        break;
      case "handled":
        this.#handled++;
        this.#wakeup.wake();
        break;
      case "seek":
      case "commit":
      case "ends":
        void this.#answer(m);
        break;
      case "close":
        this.#closing = m.id;
        this.#pump.abort();
        break;
    }
  };

  /** Answers a call of the consumer end with the source's result. */
  async #answer(
    m: Extract<FetchMessage, { type: "seek" | "commit" | "ends" }>,
  ): Promise<void> {
    const source = this.#source;
    try {
      const offsets = m.type === "seek"
        ? await source.seek(m.offsets, m.resume)
        : m.type === "ends"
        ? await source.endOffsets?.()
        : await source.commit(m.offsets);
      this.#port.postMessage({
        type: "reply",
        id: m.id,
        ...(offsets ? { offsets } : {}),
      });
    } catch (error) {
      this.#port.postMessage({
        type: "reply",
        id: m.id,
        error: toWireError(error),
      });
    }
  }

  /** Relays deliveries until the consumer closes the relay, it is stopped, or the client fails. */
  async pump(): Promise<void> {
    const signal = this.#pump.signal;
    try {
      let controls = 0;
      for await (const d of this.#source.deliveries({ signal })) {
        if (d.type === "batch") {
          this.#sendBatch(d.batch);
          await this.#window.room(signal);
        } else {
          // A rebalance or the end of a window: the client goes on only once
          // the consumer has handled it (loaded checkpoints, sought).
          this.#port.postMessage({ type: "delivery", delivery: d });
          controls++;
          await this.#wakeup.until(() => this.#handled >= controls, signal);
        }
        if (signal.aborted) break;
      }
      if (!signal.aborted) {
        // The source ended by itself: the consumer still closes the relay.
        this.#port.postMessage({ type: "end" });
        await this.#wakeup.until(() => this.#closing !== undefined, signal);
      }
    } catch (e) {
      this.#failed = e;
      this.#port.postMessage({ type: "failed", error: toWireError(e) });
    }
  }

  #sendBatch(batch: RecordBatch): void {
    const packed = packBatch(batch.records);
    this.#port.postMessage({
      type: "batch",
      topic: batch.topic,
      partition: batch.partition,
      ...(batch.highWatermark !== undefined
        ? { highWatermark: batch.highWatermark }
        : {}),
      ...packed,
    }, [
      packed.values,
      packed.ends.buffer,
      packed.offsets.buffer,
      ...(packed.textEnds ? [packed.textEnds.buffer] : []),
    ]);
    this.#window.sent(batch.records.length);
    this.#onBatch(batch.records.length);
  }

  /**
   * The consumer closed the relay, or it was stopped from outside, or the
   * client failed: closes the client and tells the consumer end.
   */
  async finish(): Promise<void> {
    let error: unknown = this.#failed;
    try {
      await this.#source.close();
    } catch (e) {
      error ??= e;
    }
    const port = this.#port;
    port.removeEventListener("message", this.onMessage);
    if (this.#closing === undefined && this.#failed === undefined) {
      // Stopped from outside (another worker failed): the consumer's reads
      // and calls, its close included, fail at once instead of waiting.
      port.postMessage({
        type: "failed",
        error: toWireError(new Error("The fetcher was stopped")),
      });
    }
    if (this.#closing !== undefined) {
      port.postMessage({
        type: "reply",
        id: this.#closing,
        ...(error ? { error: toWireError(error) } : {}),
      });
    }
    if (error) throw error;
  }
}

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * A batch's values in one buffer (with their byte ends), the same values
 * decoded into one string (with their character ends) unless one is not
 * UTF-8, and the batch's offsets and seqs. Decoding here takes it off the
 * consumer's thread.
 */
function packBatch(records: readonly InRecord[]): {
  values: ArrayBuffer;
  ends: Int32Array<ArrayBuffer>;
  text?: string;
  textEnds?: Int32Array<ArrayBuffer>;
  offsets: Float64Array<ArrayBuffer>;
  seqs?: number[];
  shards?: string[];
} {
  let size = 0;
  for (const r of records) size += r.value?.length ?? 0;
  const bytes = new Uint8Array(size);
  // A null value (a tombstone) has end -1 and takes no bytes.
  const ends = new Int32Array(records.length);
  const textEnds = new Int32Array(records.length);
  const offsets = new Float64Array(records.length);
  let seqs: number[] | undefined;
  let shards: string[] | undefined;
  let text: string | undefined = "";
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.value === null) ends[i] = -1;
    else {
      bytes.set(r.value, at);
      at += r.value.length;
      ends[i] = at;
      if (text !== undefined) {
        try {
          text += r.text ?? fatal.decode(r.value);
          textEnds[i] = text.length;
        } catch {
          text = undefined;
        }
      }
    }
    offsets[i] = Number(r.offset);
    if (r.seq !== undefined) (seqs ??= new Array(records.length))[i] = r.seq;
    if (r.shard !== undefined) {
      (shards ??= new Array(records.length))[i] = r.shard;
    }
  }
  return {
    values: bytes.buffer,
    ends,
    ...(text !== undefined ? { text, textEnds } : {}),
    offsets,
    ...(seqs ? { seqs } : {}),
    ...(shards ? { shards } : {}),
  };
}

/** Opens the consumer end of the relay. */
export function createSourceRelay(port: Port<FetchMessage>): Source {
  const calls = new Map<
    number,
    { resolve: (offsets?: OffsetMap) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let failure: Error | undefined;
  // Replies settle their calls; a failure also fails the calls in flight
  // (they will get no reply) and is queued, so that reading fails too.
  const inbox = createInbox<FetchReply>(port, (m) => {
    if (m.type === "failed") {
      failure = fromWireError(m.error);
      for (const c of calls.values()) c.reject(failure);
      calls.clear();
    }
    if (m.type !== "reply") return false;
    const call = calls.get(m.id);
    calls.delete(m.id);
    if (m.error) call?.reject(fromWireError(m.error));
    else call?.resolve(m.offsets);
    return true;
  });
  const call = (
    message:
      | { type: "seek"; offsets: OffsetMap; resume?: Position }
      | { type: "commit"; offsets: OffsetMap }
      | { type: "ends" }
      | { type: "close" },
  ) =>
    new Promise<OffsetMap | undefined>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      calls.set(id, { resolve, reject });
      port.postMessage({ ...message, id });
    });
  return {
    async *deliveries(
      options: { signal: AbortSignal },
    ): AsyncGenerator<Delivery> {
      for (;;) {
        const m = await inbox.take(options.signal);
        if (!m || m.type === "end") return;
        if (m.type === "failed") throw fromWireError(m.error);
        if (m.type === "delivery") {
          yield m.delivery;
          port.postMessage({ type: "handled" });
          continue;
        }
        if (m.type !== "batch") continue;
        port.postMessage({ type: "taken", records: m.ends.length });
        yield {
          type: "batch",
          batch: {
            topic: m.topic,
            partition: m.partition,
            records: unpackBatch(m),
            ...(m.highWatermark !== undefined
              ? { highWatermark: m.highWatermark }
              : {}),
          },
        };
      }
    },
    seek: (offsets, resume) =>
      call({ type: "seek", offsets, ...(resume ? { resume } : {}) }),
    async commit(offsets) {
      await call({ type: "commit", offsets });
    },
    async endOffsets() {
      return (await call({ type: "ends" })) ?? {};
    },
    async close() {
      try {
        // A fetcher that failed has closed its client already.
        if (!failure) await call({ type: "close" });
      } finally {
        inbox.close();
        port.close?.();
      }
    },
  };
}

/** Rebuilds a batch's records: views into its one buffer and, when sent, slices of its text. */
function unpackBatch(
  m: Extract<FetchReply, { type: "batch" }>,
): InRecord[] {
  const bytes = new Uint8Array(m.values);
  const records: InRecord[] = new Array(m.ends.length);
  let start = 0;
  let textStart = 0;
  for (let i = 0; i < m.ends.length; i++) {
    const end = m.ends[i]!;
    const seq = m.seqs?.[i];
    const shard = m.shards?.[i];
    const record: InRecord = {
      offset: String(m.offsets[i]),
      value: end < 0 ? null : bytes.subarray(start, end),
      ...(seq !== undefined ? { seq } : {}),
      ...(shard !== undefined ? { shard } : {}),
    };
    if (end >= 0) {
      if (m.text !== undefined) {
        const textEnd = m.textEnds![i]!;
        record.text = m.text.slice(textStart, textEnd);
        textStart = textEnd;
      }
      start = end;
    }
    records[i] = record;
  }
  return records;
}

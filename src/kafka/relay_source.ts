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
import type { Delivery, InRecord, OffsetMap, Source } from "../ports.ts";
import { createInbox, type PortEnd } from "../transport/port.ts";
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
  port: PortEnd<FetchReply>,
  source: Source,
  signal: AbortSignal,
  onBatch: (records: number) => void,
): Promise<void> {
  const pump = new AbortController();
  const onAbort = () => pump.abort();
  signal.addEventListener("abort", onAbort);
  let outstanding = 0;
  let handled = 0;
  let wake: (() => void) | undefined;
  let closing: number | undefined;
  let failed: unknown;
  const onMessage = (e: MessageEvent) => {
    const m = e.data as FetchMessage;
    switch (m.type) {
      case "taken":
        outstanding -= m.records;
        wake?.();
        break;
      case "handled":
        handled++;
        wake?.();
        break;
      case "seek":
      case "commit":
      case "ends":
        void (m.type === "seek"
          ? source.seek(m.offsets, m.resume)
          : m.type === "ends"
          ? (source.endOffsets?.() ?? Promise.resolve(undefined))
          : source.commit(m.offsets)).then(
            (offsets) =>
              port.postMessage({
                type: "reply",
                id: m.id,
                ...(offsets ? { offsets } : {}),
              }),
            (error) =>
              port.postMessage({
                type: "reply",
                id: m.id,
                error: toWireError(error),
              }),
          );
        break;
      case "close":
        closing = m.id;
        pump.abort();
        break;
    }
  };
  const waitFor = async (ready: () => boolean) => {
    while (!ready() && !pump.signal.aborted) {
      await new Promise<void>((r) => wake = r);
      wake = undefined;
    }
  };
  pump.signal.addEventListener("abort", () => wake?.());
  port.addEventListener("message", onMessage);
  port.start?.();
  try {
    let controls = 0;
    for await (const d of source.deliveries({ signal: pump.signal })) {
      if (d.type === "batch") {
        const packed = packBatch(d.batch.records);
        port.postMessage({
          type: "batch",
          topic: d.batch.topic,
          partition: d.batch.partition,
          ...(d.batch.highWatermark !== undefined
            ? { highWatermark: d.batch.highWatermark }
            : {}),
          ...packed,
        }, [
          packed.values,
          packed.ends.buffer,
          packed.offsets.buffer,
          ...(packed.textEnds ? [packed.textEnds.buffer] : []),
        ]);
        outstanding += d.batch.records.length;
        onBatch(d.batch.records.length);
        await waitFor(() => outstanding <= WINDOW);
        if (pump.signal.aborted) break;
      } else {
        // A rebalance or the end of a window: the client goes on only once
        // the consumer has handled it (loaded checkpoints, sought).
        port.postMessage({ type: "delivery", delivery: d });
        controls++;
        await waitFor(() => handled >= controls);
        if (pump.signal.aborted) break;
      }
    }
    if (!pump.signal.aborted) {
      // The source ended by itself: the consumer still closes the relay.
      port.postMessage({ type: "end" });
      await waitFor(() => closing !== undefined);
    }
  } catch (e) {
    failed = e;
    port.postMessage({ type: "failed", error: toWireError(e) });
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  // The consumer closed the relay, or it was stopped from outside, or the
  // client failed: close the client.
  let error: unknown = failed;
  try {
    await source.close();
  } catch (e) {
    error ??= e;
  }
  port.removeEventListener("message", onMessage);
  if (closing === undefined && failed === undefined) {
    // Stopped from outside (another worker failed): the consumer's reads
    // and calls, its close included, fail at once instead of waiting.
    port.postMessage({
      type: "failed",
      error: toWireError(new Error("The fetcher was stopped")),
    });
  }
  if (closing !== undefined) {
    port.postMessage({
      type: "reply",
      id: closing,
      ...(error ? { error: toWireError(error) } : {}),
    });
  }
  if (error) throw error;
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
} {
  let size = 0;
  for (const r of records) size += r.value?.length ?? 0;
  const bytes = new Uint8Array(size);
  // A null value (a tombstone) has end -1 and takes no bytes.
  const ends = new Int32Array(records.length);
  const textEnds = new Int32Array(records.length);
  const offsets = new Float64Array(records.length);
  let seqs: number[] | undefined;
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
  }
  return {
    values: bytes.buffer,
    ends,
    ...(text !== undefined ? { text, textEnds } : {}),
    offsets,
    ...(seqs ? { seqs } : {}),
  };
}

/** Opens the consumer end of the relay. */
export function createSourceRelay(port: PortEnd<FetchMessage>): Source {
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
    const record: InRecord = {
      offset: String(m.offsets[i]),
      value: end < 0 ? null : bytes.subarray(start, end),
      ...(seq !== undefined ? { seq } : {}),
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

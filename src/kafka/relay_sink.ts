/**
 * The producer relay: the generator worker hands its records to the
 * producer worker over a MessagePort, so that generating and producing run
 * on two cores (kafkajs's record encoding is CPU-bound, as is generation).
 *
 * Order and acknowledgement are kept: the producer sends batches one at a
 * time in arrival order and acknowledges each after Kafka has; the
 * generator's position reaches the producer's checkpoint only after that.
 *
 * @module
 */
import type { Position } from "../model/simulator.ts";
import { createInbox, type Port } from "../transport/port.ts";
import { Utf8Lines } from "./lines.ts";
import type { OutRecord, Sink } from "../ports.ts";
import { fromWireError, type RelayMessage, toWireError } from "../protocol.ts";

/** Returns the records' values as UTF-8, one per line, in one exact-size buffer. */
export function encodeLines(
  records: readonly OutRecord[],
  lines: Utf8Lines = new Utf8Lines(),
): ArrayBuffer {
  for (const r of records) lines.push(r.value);
  return lines.take().buffer;
}

/**
 * Opens the generator end: a sink whose sends resolve when Kafka has
 * acknowledged them, `subscribed` (where a restarted stream resumes), and
 * `onAck`, which passes an acknowledged position on to be saved.
 */
export function createRelaySink(port: Port<RelayMessage>): {
  sink: Sink;
  subscribed: Promise<Position | undefined>;
  onAck: (position: Position) => void;
} {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  let resolveSub!: (p: Position | undefined) => void;
  const subscribed = new Promise<Position | undefined>((r) => resolveSub = r);
  // One buffer for every batch: it grows to a batch's size once.
  const lines = new Utf8Lines();
  const onMessage = (e: MessageEvent) => {
    const m = e.data as RelayMessage;
    if (m.type === "subscribe") resolveSub(m.resume);
    else if (m.type === "acked") pending.shift()?.resolve();
    else if (m.type === "failed") {
      failure = fromWireError(m.error);
      for (const p of pending.splice(0)) p.reject(failure);
    }
  };
  port.addEventListener("message", onMessage);
  port.start?.();
  return {
    subscribed,
    onAck: (position) => port.postMessage({ type: "position", position }),
    sink: {
      send(records: OutRecord[]) {
        if (failure) return Promise.reject(failure);
        if (records.length === 0) return Promise.resolve();
        // Four strings and one array instead of 2000 objects: structured
        // cloning copies a string at memcpy speed.
        // Values go as UTF-8 bytes (encoded here, where there is CPU to
        // spare; kafkajs would encode each string twice over), newline-
        // separated and transferred, not copied.
        let keys = "", events = "";
        const timestamps = new Float64Array(records.length);
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          keys += (i ? "\n" : "") + r.key;
          events += (i ? "\n" : "") + r.event;
          timestamps[i] = r.timestamp;
        }
        const bytes = encodeLines(records, lines);
        const acked = new Promise<void>((resolve, reject) =>
          pending.push({ resolve, reject })
        );
        port.postMessage({
          type: "produce",
          values: bytes,
          keys,
          events,
          timestamps,
          firstSeq: records[0]!.seq,
        }, [bytes, timestamps.buffer]);
        return acked;
      },
      close() {
        port.postMessage({ type: "end" });
        port.removeEventListener("message", onMessage);
        return Promise.resolve();
      },
    },
  };
}

/** The producer end's Kafka side, as the Kafka adapter connects it. */
export interface RelayTarget {
  sink: Sink;
  resume?: Position;
  onAck: (position: Position) => Promise<void>;
}

/**
 * Serves the producer end until the generator ends the stream or `signal`
 * aborts: sends each batch through `target`, in order, and acknowledges it.
 * A failure is passed to the generator before it is thrown here.
 */
export async function serveRelay(
  port: Port<RelayMessage>,
  target: RelayTarget,
  signal: AbortSignal,
  onProduced: (count: number) => void,
): Promise<void> {
  const inbox = createInbox<RelayMessage>(port);
  // Stopped from outside (another worker failed): sends pending on the
  // generator's side fail at once, even while Kafka holds one in flight.
  const onAbort = () => {
    port.postMessage({
      type: "failed",
      error: toWireError(new Error("The producer was stopped")),
    });
  };
  signal.addEventListener("abort", onAbort);
  if (signal.aborted) onAbort();
  port.postMessage({
    type: "subscribe",
    ...(target.resume ? { resume: target.resume } : {}),
  });
  try {
    for (;;) {
      const m = await inbox.take(signal);
      if (!m || m.type === "end") return;
      if (m.type === "position") await target.onAck(m.position);
      else if (m.type === "produce") {
        const bytes = new Uint8Array(m.values);
        const keys = m.keys.split("\n");
        const events = m.events.split("\n");
        const records: OutRecord[] = new Array(keys.length);
        let start = 0;
        for (let i = 0; i < keys.length; i++) {
          // JSON text never holds a raw newline, and no UTF-8 sequence
          // contains the byte 0x0A.
          const end = bytes.indexOf(10, start);
          records[i] = {
            key: keys[i]!,
            value: bytes.subarray(start, end),
            timestamp: m.timestamps[i]!,
            event: events[i]!,
            seq: m.firstSeq + i,
          };
          start = end + 1;
        }
        await target.sink.send(records);
        onProduced(records.length);
        port.postMessage({ type: "acked" });
      }
    }
  } catch (error) {
    if (!signal.aborted) {
      port.postMessage({ type: "failed", error: toWireError(error) });
    }
    throw error;
  } finally {
    inbox.close();
    signal.removeEventListener("abort", onAbort);
  }
}

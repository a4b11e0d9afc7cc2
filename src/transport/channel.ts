/**
 * The embedded transport: generator and consumer workers linked by a
 * MessageChannel, no Kafka needed. One partition; the offset of an event is
 * its stream sequence number, so a restart regenerates exactly what the
 * checkpoint has not yet written.
 *
 * @module
 */
import type { Position } from "../model/simulator.ts";
import {
  type Delivery,
  type InRecord,
  type OffsetMap,
  type OutRecord,
  type Sink,
  type Source,
  valueText,
} from "../ports.ts";
import type { TransportMessage } from "../protocol.ts";
import { createInbox, CreditWindow, type Port } from "./port.ts";

/**
 * Records in flight before the generator waits for the consumer: ten
 * batches; a larger window is no faster and holds more memory.
 */
const WINDOW = 20_000;

/**
 * Opens the generator end; resolves `subscribed` when the consumer says
 * where to start. Once `signal` aborts, a send waiting for credit returns
 * without sending: a consumer that failed gives none. With `trusted`, the
 * records are tvstream's own generator's, already in the schema: they
 * carry their event times and the consumer does not check them again.
 */
export function createChannelSink(
  port: Port<TransportMessage>,
  signal?: AbortSignal,
  options: { trusted?: boolean } = {},
): {
  sink: Sink;
  subscribed: Promise<Position | undefined>;
} {
  let nextOffset = 0;
  /** Offset up to which the consumer has taken records. */
  let consumed = 0;
  const window = new CreditWindow(WINDOW);
  const subscribed = Promise.withResolvers<Position | undefined>();
  const onMessage = (e: MessageEvent) => {
    const m = e.data as TransportMessage;
    if (m.type === "subscribe") {
      nextOffset = consumed = m.resume?.seq ?? 0;
      window.reset();
      subscribed.resolve(m.resume);
    } else if (m.type === "credit" && m.offset > consumed) {
      window.credit(m.offset - consumed);
      consumed = m.offset;
    }
  };
  port.addEventListener("message", onMessage);
  port.start?.();
  return {
    subscribed: subscribed.promise,
    sink: {
      async send(records: OutRecord[]) {
        if (!(await window.room(signal))) return;
        let text = "";
        for (const r of records) text += valueText(r.value) + "\n";
        const message: TransportMessage = {
          type: "records",
          baseOffset: nextOffset,
          count: records.length,
          text,
        };
        if (options.trusted) {
          const times = new Float64Array(records.length);
          records.forEach((r, k) => times[k] = r.timestamp);
          message.times = times;
          port.postMessage(message, [times.buffer]);
        } else port.postMessage(message);
        nextOffset += records.length;
        window.sent(records.length);
      },
      close(end?: { until: number }) {
        port.postMessage({ type: "end", ...(end ? { until: end.until } : {}) });
        port.removeEventListener("message", onMessage);
        window.interrupt();
        return Promise.resolve();
      },
    },
  };
}

const encoder = new TextEncoder();

/**
 * A record of the embedded transport: it arrives as text, which is what the
 * consumer parses; its bytes are made only if read (a rejected record).
 */
class TextRecord implements InRecord {
  constructor(
    readonly offset: string,
    readonly text: string,
    readonly time: number | undefined,
  ) {}
  /** The record's UTF-8 bytes, encoded on demand. */
  get value(): Uint8Array {
    return encoder.encode(this.text);
  }
}

/** Opens the consumer end of the embedded transport. */
export function createChannelSource(
  port: Port<TransportMessage>,
  topic: string,
): Source {
  const inbox = createInbox<TransportMessage>(port);
  return {
    async *deliveries(
      options: { signal: AbortSignal },
    ): AsyncGenerator<Delivery> {
      // One partition, always ours; `seek` then tells the generator where
      // to start.
      yield { type: "assigned", partitions: [0] };
      for (;;) {
        const m = await inbox.take(options.signal);
        if (!m) return;
        if (m.type === "end") {
          if (m.until !== undefined) {
            yield { type: "complete", until: m.until };
          }
          return;
        }
        if (m.type !== "records") continue;
        const lines = m.text.split("\n");
        const records: InRecord[] = [];
        for (let k = 0; k < m.count; k++) {
          records.push(
            new TextRecord(String(m.baseOffset + k), lines[k]!, m.times?.[k]),
          );
        }
        yield {
          type: "batch",
          batch: {
            topic,
            partition: 0,
            records,
            highWatermark: String(m.baseOffset + m.count),
          },
        };
        port.postMessage({ type: "credit", offset: m.baseOffset + m.count });
      }
    },
    seek(_offsets: OffsetMap, resume?: Position) {
      port.postMessage({ type: "subscribe", ...(resume ? { resume } : {}) });
      return Promise.resolve();
    },
    commit() {
      return Promise.resolve();
    },
    close() {
      inbox.close();
      port.close?.();
      return Promise.resolve();
    },
  };
}

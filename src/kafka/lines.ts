/**
 * UTF-8 lines in one reused buffer: what `sample` writes, what the producer
 * relay sends and what the bench's generation stage measures.
 *
 * @module
 */

import {
  type EventParts,
  eventUtf8Bound,
  writeEventUtf8,
} from "../model/event_line.ts";

const encoder = new TextEncoder();

/**
 * Values encoded as UTF-8 lines, each as it is added. A generated value is
 * a rope of pieces (the simulator writes text by concatenation); encoding
 * each one as it comes costs less than flattening a batch-sized rope at
 * once.
 */
export class Utf8Lines {
  #buffer: Uint8Array<ArrayBuffer> = new Uint8Array(1 << 16);
  #used = 0;

  /** Bytes held. */
  get size(): number {
    return this.#used;
  }

  /** Appends `value` and a newline. */
  push(value: string | Uint8Array): void {
    if (typeof value === "string") {
      const { read, written } = encoder.encodeInto(
        value,
        this.#buffer.subarray(this.#used),
      );
      if (read === value.length && this.#used + written < this.#buffer.length) {
        this.#used += written;
        this.#buffer[this.#used++] = 10;
        return;
      }
    }
    // Bytes, or text that did not fit: copied in whole, over whatever part
    // encodeInto wrote.
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    this.#reserve(bytes.length + 1);
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.length;
    this.#buffer[this.#used++] = 10;
  }

  /** Appends an event's line, written from its parts rather than its text. */
  pushEvent(p: EventParts): void {
    this.#reserve(eventUtf8Bound(p) + 1);
    this.#used = writeEventUtf8(p, this.#buffer, this.#used);
    this.#buffer[this.#used++] = 10;
  }

  /** Appends bytes that are already whole lines (each ending in a newline). */
  pushLines(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** Makes room for `n` more bytes (at least doubling the buffer). */
  #reserve(n: number): void {
    const need = this.#used + n;
    if (need <= this.#buffer.length) return;
    const bigger = new Uint8Array(Math.max(this.#buffer.length * 2, need));
    bigger.set(this.#buffer.subarray(0, this.#used));
    this.#buffer = bigger;
  }

  /** Returns the lines held, as a view that is valid until the next change. */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#used);
  }

  /** Empties the buffer (it keeps its size). */
  clear(): void {
    this.#used = 0;
  }

  /**
   * Hands over the lines held in the buffer that holds them (to transfer,
   * without a copy) and goes on in `next`, or in a new buffer of the same
   * size.
   */
  swap(next?: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    const lines = this.#buffer.subarray(0, this.#used);
    this.#buffer = next ?? new Uint8Array(this.#buffer.length);
    this.#used = 0;
    return lines;
  }

  /** Returns the lines held, in a buffer of their own (to transfer), and empties this one. */
  take(): Uint8Array<ArrayBuffer> {
    const lines = this.#buffer.slice(0, this.#used);
    this.#used = 0;
    return lines;
  }
}

/**
 * Lines written out a megabyte at a time, the next megabyte filling while
 * the last is written: one write in flight at most, two buffers in all.
 */
export class LineWriter {
  /** The lines to append to. */
  readonly lines = new Utf8Lines();
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  #inFlight: Promise<void> = Promise.resolve();
  /** The buffer of the write in flight: free again once it is done. */
  #writing: Uint8Array<ArrayBuffer> | undefined;
  #failed: { error: unknown } | undefined;

  /** Writes through `write`, which must not keep the bytes after it resolves. */
  constructor(write: (bytes: Uint8Array) => Promise<void>) {
    this.#write = write;
  }

  /** Whether a megabyte is held: time to {@linkcode flush}. */
  get full(): boolean {
    return this.lines.size >= 1 << 20;
  }

  /** Starts writing what is held, once the write before it is done. */
  async flush(): Promise<void> {
    await this.#inFlight;
    if (this.#failed) throw this.#failed.error;
    const bytes = this.lines.swap(this.#writing);
    this.#writing = new Uint8Array(bytes.buffer);
    // Caught here, not when next awaited: a failed write (a closed pipe)
    // must not surface as an unhandled rejection in the meantime.
    this.#inFlight = this.#write(bytes).catch((error) => {
      this.#failed = { error };
    });
  }

  /** Writes what is held and waits until every write is done. */
  async close(): Promise<void> {
    await this.flush();
    await this.#inFlight;
    if (this.#failed) throw this.#failed.error;
  }
}

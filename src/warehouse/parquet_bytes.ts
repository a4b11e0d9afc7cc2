/**
 * A growable little-endian byte buffer, and the variable-length and
 * RLE/bit-packed hybrid encodings Parquet and Thrift build on.
 *
 * @module
 */

const UTF8 = new TextEncoder();

/** An append-only byte buffer that doubles when full. */
export class Bytes {
  /** Bytes written so far. */
  length = 0;
  #buf: Uint8Array;
  #view: DataView;

  /** Creates a buffer with room for `capacity` bytes before it grows. */
  constructor(capacity = 4096) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(need, this.#buf.length * 2));
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.ensure(1);
    this.#buf[this.length++] = v;
  }

  /** Appends a 32-bit little-endian integer. */
  i32(v: number): void {
    this.ensure(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }

  /** Appends a 64-bit little-endian integer given as a safe JS integer. */
  i64(v: number): void {
    this.ensure(8);
    // `>>> 0` is v mod 2^32 for any safe integer, negative ones included.
    const lo = v >>> 0;
    this.#view.setUint32(this.length, lo, true);
    this.#view.setInt32(this.length + 4, (v - lo) / 4294967296, true);
    this.length += 8;
  }

  /** Appends a 64-bit little-endian IEEE double. */
  f64(v: number): void {
    this.ensure(8);
    this.#view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  /** Appends an unsigned LEB128 varint (any safe non-negative integer). */
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.#buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.length++] = v;
  }

  /**
   * Appends a string as UTF-8 behind a 4-byte length (Parquet PLAIN
   * BYTE_ARRAY). ASCII, nearly every value here, is copied char by char.
   */
  lengthPrefixedUtf8(s: string): void {
    const n = s.length;
    this.ensure(4 + n);
    const start = this.length;
    const buf = this.#buf;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + 4 + i] = c;
    }
    if (i === n) {
      this.#view.setInt32(start, n, true);
      this.length = start + 4 + n;
      return;
    }
    const encoded = UTF8.encode(s);
    this.#view.setInt32(start, encoded.length, true);
    this.length = start + 4;
    this.bytes(encoded);
  }

  /** Overwrites a 32-bit little-endian integer at `at`. */
  setI32(at: number, v: number): void {
    this.#view.setInt32(at, v, true);
  }

  /** The bytes written, as a view (valid until the next append). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }

  /** Forgets the content, keeping the memory. */
  reset(): void {
    this.length = 0;
  }
}

/**
 * Appends `values[0..count)` in Parquet's RLE/bit-packed hybrid encoding:
 * runs of 8 or more equal values as RLE runs, the rest bit-packed in groups
 * of 8 (the last group zero-padded; readers stop at the value count).
 */
export function writeHybrid(
  out: Bytes,
  values: ArrayLike<number>,
  count: number,
  bitWidth: number,
): void {
  const valueBytes = (bitWidth + 7) >> 3;
  let i = 0;
  while (i < count) {
    const v = values[i]!;
    let j = i + 1;
    while (j < count && values[j] === v) j++;
    if (j - i >= 8) {
      out.varint((j - i) * 2);
      for (let b = 0; b < valueBytes; b++) out.u8((v >>> (8 * b)) & 0xff);
      i = j;
      continue;
    }
    // Bit-pack whole groups of 8 until a long run starts at a group edge.
    let end = i + 8;
    while (end < count) {
      const w = values[end]!;
      let k = end + 1;
      while (k < count && k - end < 8 && values[k] === w) k++;
      if (k - end >= 8) break;
      end += 8;
    }
    const groups = Math.ceil((Math.min(end, count) - i) / 8);
    out.varint(groups * 2 + 1);
    out.ensure(groups * bitWidth);
    let acc = 0;
    let bits = 0;
    const stop = i + groups * 8;
    for (let k = i; k < stop; k++) {
      const x = k < count ? values[k]! : 0;
      // Widths here are at most 24 bits, so acc stays below 2^32.
      acc += x * 2 ** bits;
      bits += bitWidth;
      while (bits >= 8) {
        out.u8(acc & 0xff);
        acc = Math.floor(acc / 256);
        bits -= 8;
      }
    }
    i = stop;
  }
}

/** Bits needed to store values up to `max` (0 for 0). */
export function bitWidthOf(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

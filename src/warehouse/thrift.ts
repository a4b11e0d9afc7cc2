/**
 * The Thrift compact protocol, write side only: enough for Parquet's page
 * headers and file footer.
 *
 * @module
 */
import { Bytes } from "./parquet_bytes.ts";

/** Compact-protocol type ids. */
export const T = {
  TRUE: 1,
  FALSE: 2,
  I32: 5,
  I64: 6,
  BINARY: 8,
  LIST: 9,
  STRUCT: 12,
} as const;

const UTF8 = new TextEncoder();

/** Writes one Thrift struct (and the structs nested in it) into `out`. */
export class ThriftWriter {
  #last: number[] = [0];

  /** Creates a writer appending to `out`. */
  constructor(readonly out: Bytes) {}

  #field(id: number, type: number): void {
    const last = this.#last[this.#last.length - 1]!;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.out.u8((delta << 4) | type);
    else {
      this.out.u8(type);
      this.out.varint(zigzag(id));
    }
    this.#last[this.#last.length - 1] = id;
  }

  /** A 32-bit integer field. */
  i32(id: number, v: number): this {
    this.#field(id, T.I32);
    this.out.varint(zigzag(v));
    return this;
  }

  /** A 64-bit integer field (a safe JS integer). */
  i64(id: number, v: number): this {
    this.#field(id, T.I64);
    this.out.varint(zigzag(v));
    return this;
  }

  /** A boolean field. */
  bool(id: number, v: boolean): this {
    this.#field(id, v ? T.TRUE : T.FALSE);
    return this;
  }

  /** A binary field. */
  binary(id: number, v: Uint8Array): this {
    this.#field(id, T.BINARY);
    this.out.varint(v.length);
    this.out.bytes(v);
    return this;
  }

  /** A string field (UTF-8). */
  string(id: number, v: string): this {
    return this.binary(id, UTF8.encode(v));
  }

  /** A struct field whose members `body` writes. */
  struct(id: number, body: (w: this) => void): this {
    this.#field(id, T.STRUCT);
    this.#nested(body);
    return this;
  }

  /** A list of structs. */
  structList<X>(
    id: number,
    items: readonly X[],
    body: (w: this, x: X) => void,
  ): this {
    this.#listHeader(id, items.length, T.STRUCT);
    for (const x of items) this.#nested((w) => body(w, x));
    return this;
  }

  /** A list of 32-bit integers. */
  i32List(id: number, items: readonly number[]): this {
    this.#listHeader(id, items.length, T.I32);
    for (const x of items) this.out.varint(zigzag(x));
    return this;
  }

  /** A list of strings. */
  stringList(id: number, items: readonly string[]): this {
    this.#listHeader(id, items.length, T.BINARY);
    for (const x of items) {
      const b = UTF8.encode(x);
      this.out.varint(b.length);
      this.out.bytes(b);
    }
    return this;
  }

  /** Ends the outermost struct. */
  end(): void {
    this.out.u8(0);
  }

  #listHeader(id: number, size: number, type: number): void {
    this.#field(id, T.LIST);
    if (size < 15) this.out.u8((size << 4) | type);
    else {
      this.out.u8(0xf0 | type);
      this.out.varint(size);
    }
  }

  #nested(body: (w: this) => void): void {
    this.#last.push(0);
    body(this);
    this.out.u8(0);
    this.#last.pop();
  }
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

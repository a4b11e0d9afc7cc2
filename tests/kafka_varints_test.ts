/**
 * The producer side replaces kafkajs's varint writers (see
 * src/kafka/varints.ts). kafkajs's own decoder, which is not patched, must
 * read back every value exactly, and the sizes must be what kafkajs's size
 * functions (also unpatched) promise, or record lengths would be wrong.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  installVarintWriters,
  varintWritersInstalled,
} from "../src/kafka/varints.ts";
import { Rng } from "../src/model/rng.ts";
// @ts-types="../src/kafka/kafkajs_encoder.d.ts"
import Encoder from "kafkajs/src/protocol/encoder.js";
// @ts-types="../src/kafka/kafkajs_decoder.d.ts"
import Decoder from "kafkajs/src/protocol/decoder.js";

const INTS = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  -65,
  127,
  128,
  300,
  16_383,
  16_384,
  -8_193,
  2 ** 20,
  2 ** 31 - 1,
  -(2 ** 31),
];

installVarintWriters();

const sizeOf = Encoder as unknown as {
  sizeOfVarInt(v: number): number;
  sizeOfVarLong(v: number | string): number;
};

Deno.test("patched writeVarInt: kafkajs's decoder reads every value back, at kafkajs's size", () => {
  assert.ok(varintWritersInstalled());
  const values = [...INTS];
  const rng = new Rng(7);
  for (let i = 0; i < 2000; i++) values.push(rng.uint32() | 0);
  const e = new Encoder();
  for (const v of values) {
    const before = e.offset;
    e.writeVarInt(v);
    assert.equal(e.offset - before, sizeOf.sizeOfVarInt(v), `size of ${v}`);
  }
  const d = new Decoder(Buffer.from(e.buffer));
  for (const v of values) assert.equal(d.readVarInt(), v);
  assert.equal(d.offset, e.offset);
});

Deno.test("patched writeUVarInt: unsigned values up to 2^32-1", () => {
  const values = [0, 1, 127, 128, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1];
  const e = new Encoder();
  for (const v of values) e.writeUVarInt(v);
  const d = new Decoder(Buffer.from(e.buffer));
  for (const v of values) assert.equal(d.readUVarInt(), v);
});

Deno.test("patched writeVarLong: numbers, strings and 64-bit extremes read back exactly", () => {
  const values: (number | string)[] = [
    ...INTS,
    1_767_225_600_000,
    -1_767_225_600_000,
    2 ** 53 - 1,
    -(2 ** 53),
    "9223372036854775807",
    "-9223372036854775808",
  ];
  const e = new Encoder();
  for (const v of values) {
    const before = e.offset;
    e.writeVarLong(v);
    assert.equal(e.offset - before, sizeOf.sizeOfVarLong(v), `size of ${v}`);
  }
  const d = new Decoder(Buffer.from(e.buffer));
  for (const v of values) assert.equal(d.readVarLong().toString(), String(v));
});

Deno.test("installVarintWriters refuses an Encoder without the fields it writes to", () => {
  class Bare {
    static encodeZigZag64 = Encoder.encodeZigZag64;
    writeUVarInt() {
      return this;
    }
    writeVarLong() {
      return this;
    }
  }
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => installVarintWriters(Bare as any),
    /no longer has buf, offset, ensureAvailable/,
  );
});

Deno.test("installVarintWriters refuses, and leaves alone, an Encoder whose varints differ", () => {
  // Same fields, but unsigned varints big-endian: the probe must notice.
  class Other extends Encoder {}
  const original = Other.prototype.writeUVarInt;
  Other.prototype.writeUVarInt = function (this: Encoder, value: number) {
    this.ensureAvailable(5);
    const bytes: number[] = [];
    do {
      bytes.unshift(value & 0x7f);
      value >>>= 7;
    } while (value !== 0);
    for (const b of bytes) this.buf[this.offset++] = b;
    return this;
  };
  const theirs = Other.prototype.writeUVarInt;
  assert.throws(() => installVarintWriters(Other), /write other bytes/);
  assert.equal(Other.prototype.writeUVarInt, theirs);
  assert.notEqual(theirs, original);
  assert.ok(!varintWritersInstalled(Other));
});

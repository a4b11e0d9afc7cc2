/**
 * kafkajs writes every varint through `Buffer.from([...bytes])`. Under Deno
 * that allocates a fresh ArrayBuffer each time (Node takes it from a pool),
 * and a record has six to eight varints. Importing this module replaces the
 * two writers on kafkajs's Encoder with ones that write the same bytes in
 * place. Decoding is untouched; tests check these writers against kafkajs's
 * own decoder.
 *
 * @module
 */
// @ts-types="./kafkajs_encoder.d.ts"
import Encoder from "kafkajs/src/protocol/encoder.js";

Encoder.prototype.writeUVarInt = function (this: Encoder, value: number) {
  this.ensureAvailable(5);
  const buf = this.buf;
  let at = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value & 0x7f;
  this.offset = at;
  return this;
};
Encoder.prototype.writeVarLong = function (
  this: Encoder,
  value: number | string | bigint | { value: bigint },
) {
  let v = BigInt.asUintN(64, Encoder.encodeZigZag64(value).value);
  this.ensureAvailable(10);
  const buf = this.buf;
  let at = this.offset;
  while (v >= 0x80n) {
    buf[at++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[at++] = Number(v);
  this.offset = at;
  return this;
};

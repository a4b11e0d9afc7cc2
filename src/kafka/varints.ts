/**
 * kafkajs writes every varint through `Buffer.from([...bytes])`. Under Deno
 * that allocates a fresh ArrayBuffer each time (Node takes it from a pool),
 * and a record has six to eight varints: producing runs at about half speed
 * (README, "Kafka"). {@linkcode installVarintWriters} replaces the two
 * writers on kafkajs's Encoder with ones that write the same bytes in
 * place. It is called explicitly, by the producer side only, and refuses
 * to patch an Encoder that is not the one it was written against.
 *
 * @module
 */
// @ts-types="./kafkajs_encoder.d.ts"
import Encoder from "kafkajs/src/protocol/encoder.js";

/** The part of kafkajs's Encoder class the patch touches. */
export type EncoderClass = typeof Encoder;

function writeUVarInt(this: Encoder, value: number) {
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
}

function writeVarLong(
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
}

/** Values whose encoding the installer compares, old writers against new. */
const PROBE_INTS = [0, 1, -1, 63, -64, 300, -8_193, 2 ** 31 - 1, -(2 ** 31)];
const PROBE_LONGS = [0, -1, 1_767_225_600_000, "9223372036854775807"];

/** Whether kafkajs's Encoder currently writes varints with tvstream's writers. */
export function varintWritersInstalled(
  encoder: EncoderClass = Encoder,
): boolean {
  return encoder.prototype.writeUVarInt === writeUVarInt &&
    encoder.prototype.writeVarLong === writeVarLong;
}

/**
 * Replaces the Encoder's varint writers, once. Throws, naming what changed,
 * if the Encoder lacks the private fields the writers use or if they do not
 * write exactly the bytes the original writers write.
 */
export function installVarintWriters(encoder: EncoderClass = Encoder): void {
  if (varintWritersInstalled(encoder)) return;
  const proto = encoder.prototype;
  const probe = new encoder();
  if (
    !(probe.buf instanceof Uint8Array) || typeof probe.offset !== "number" ||
    typeof proto.ensureAvailable !== "function" ||
    typeof proto.writeUVarInt !== "function" ||
    typeof proto.writeVarLong !== "function" ||
    typeof encoder.encodeZigZag64 !== "function"
  ) {
    throw new Error(
      "Cannot install tvstream's varint writers: kafkajs's Encoder no longer has buf, offset, ensureAvailable, writeUVarInt, writeVarLong and encodeZigZag64 (src/kafka/varints.ts was written against kafkajs 2.2.4)",
    );
  }
  const before = probeBytes(encoder);
  const original = { u: proto.writeUVarInt, l: proto.writeVarLong };
  proto.writeUVarInt = writeUVarInt;
  proto.writeVarLong = writeVarLong;
  const after = probeBytes(encoder);
  if (before.length !== after.length || before.some((b, i) => b !== after[i])) {
    proto.writeUVarInt = original.u;
    proto.writeVarLong = original.l;
    throw new Error(
      "Cannot install tvstream's varint writers: they write other bytes than this kafkajs's Encoder (src/kafka/varints.ts was written against kafkajs 2.2.4)",
    );
  }
}

/** The bytes an Encoder writes for the probe values (varints, zigzag varints, varlongs). */
function probeBytes(encoder: EncoderClass): Uint8Array {
  const e = new encoder();
  for (const v of PROBE_INTS) e.writeVarInt(v);
  for (const v of PROBE_INTS) if (v >= 0) e.writeUVarInt(v);
  for (const v of PROBE_LONGS) e.writeVarLong(v);
  return e.buf.slice(0, e.offset);
}

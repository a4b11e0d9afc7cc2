/** Types for the part of kafkajs's (untyped) protocol encoder that the Kafka adapter patches. */
export default class Encoder {
  /** Zigzag-encodes a 64-bit value into a kafkajs Long. */
  static encodeZigZag64(
    value: number | string | bigint | { value: bigint },
  ): { value: bigint };
  /** The bytes written so far live in `buf[0, offset)`. */
  buf: Uint8Array;
  offset: number;
  /** Grows `buf` so that `length` more bytes fit. */
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): this;
  writeVarLong(value: number | string | bigint | { value: bigint }): this;
  writeVarInt(value: number): this;
  /** The bytes written, as a Buffer. */
  get buffer(): Uint8Array;
}

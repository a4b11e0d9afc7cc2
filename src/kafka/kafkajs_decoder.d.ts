/** Types for kafkajs's (untyped) protocol decoder, used by tests to read what the patched encoder wrote. */
export default class Decoder {
  constructor(buffer: Uint8Array);
  offset: number;
  readVarInt(): number;
  readUVarInt(): number;
  readVarLong(): { toString(): string };
}

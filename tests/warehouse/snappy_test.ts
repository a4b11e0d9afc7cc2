/**
 * tvstream's snappy compressor, checked against hyparquet's independent
 * decompressor on data of every shape the encoder sees.
 */
import assert from "node:assert/strict";
import { snappyUncompress } from "hyparquet";
import { snappyCompress } from "../../src/warehouse/snappy.ts";

function roundTrip(input: Uint8Array): Uint8Array {
  const packed = snappyCompress(input);
  const back = new Uint8Array(input.length);
  snappyUncompress(packed, back);
  assert.deepEqual(back, input);
  return packed;
}

/** A seeded byte source, so a failure replays. */
function bytes(n: number, seed: number, alphabet = 256): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 24) % alphabet;
  }
  return out;
}

Deno.test("snappyCompress() round-trips empty, tiny and incompressible input", () => {
  for (const n of [0, 1, 3, 4, 14, 15, 16, 100, 70_000, 200_000]) {
    roundTrip(bytes(n, n + 1));
  }
});

Deno.test("snappyCompress() shrinks repetitive input: long runs, overlapping and far copies", () => {
  const run = new Uint8Array(300_000).fill(7);
  assert.ok(roundTrip(run).length < 20_000);
  const text = new TextEncoder().encode(
    '{"event":"channel_start","region":"Ghent","deviceType":"SmartTV"}'
      .repeat(3000),
  );
  assert.ok(roundTrip(text).length < text.length / 10);
  // Low-entropy bytes: many short matches at varied offsets.
  roundTrip(bytes(150_000, 9, 4));
  // Matches just across a 64 KiB fragment edge, and of every length.
  const mixed = new Uint8Array(140_000);
  const seedBlock = bytes(5000, 3);
  for (let i = 0; i < mixed.length; i++) mixed[i] = seedBlock[(i * 7) % 5000]!;
  for (let len = 1; len < 200; len++) {
    mixed.set(seedBlock.subarray(0, len), 65_536 - len);
  }
  roundTrip(mixed);
});

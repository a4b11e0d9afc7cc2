import assert from "node:assert/strict";
import { createSimulator } from "../../src/model/simulator.ts";
import { advertiserNames } from "../../src/model/faker.ts";
import { Utf8Lines } from "../../src/kafka/lines.ts";
import { ChunkMerge, readChunk } from "../../src/generator/line_chunks.ts";
import type { LineChunk } from "../../src/protocol.ts";

const advertisers = advertiserNames();
const OPTIONS = {
  advertisers,
  seed: 5,
  households: 90,
  startMs: Date.parse("2026-11-04T18:00:00Z"),
  endMs: Date.parse("2026-11-04T21:00:00Z"),
};

/** Every chunk of a shard's stream, `size` events each. */
function chunksOf(index: number, count: number, size: number): LineChunk[] {
  const sim = createSimulator({ ...OPTIONS, shard: { index, count } });
  const lines = new Utf8Lines();
  const out: LineChunk[] = [];
  for (
    let c = readChunk(sim, size, lines);
    c;
    c = readChunk(sim, size, lines)
  ) {
    out.push(c);
  }
  return out;
}

/** The unsharded stream as `sample` writes it. */
function wholeText(): string {
  const sim = createSimulator(OPTIONS);
  let text = "";
  for (let r = sim.nextRecord(); r; r = sim.nextRecord()) text += r.json + "\n";
  return text;
}

Deno.test("ChunkMerge puts three shards' chunks back into the unsharded stream, byte for byte, with chunks reused", () => {
  const whole = wholeText();
  // Each shard reads its next chunk only when the merge has used one up,
  // into the arrays of a chunk the merge gave back (as the sampler worker
  // does): a reused chunk must not change what was merged from it.
  const shards = [0, 1, 2].map((index) => ({
    sim: createSimulator({ ...OPTIONS, shard: { index, count: 3 } }),
    lines: new Utf8Lines(),
    spares: [] as LineChunk[],
    size: 97 + 40 * index,
    chunks: 0,
  }));
  const merge = new ChunkMerge(3);
  const feed = (i: number) => {
    const s = shards[i]!;
    const c = readChunk(s.sim, s.size, s.lines, s.spares.pop());
    if (c) {
      s.chunks++;
      merge.add(i, c);
    } else merge.end(i);
  };
  for (let i = 0; i < 3; i++) feed(i);
  const out = new Utf8Lines();
  let merged = 0;
  let reused = 0;
  while (!merge.done()) {
    assert.ok(merge.ready());
    merged += merge.drain(out, 1_000, (i, spent) => {
      shards[i]!.spares.push(spent);
      reused++;
      feed(i);
    });
  }
  const text = new TextDecoder().decode(out.view());
  assert.ok(whole.length > 1_000_000, `${whole.length} bytes`);
  assert.equal(merged, whole.split("\n").length - 1);
  assert.equal(text, whole);
  assert.equal(reused, shards.reduce((n, s) => n + s.chunks, 0));
});

Deno.test("ChunkMerge.drain stops at its limit and where a shard's next chunk is missing", () => {
  const shards = [0, 1].map((i) => chunksOf(i, 2, 50));
  const merge = new ChunkMerge(2);
  merge.add(0, shards[0]![0]!);
  assert.equal(merge.ready(), false);
  assert.equal(merge.drain(new Utf8Lines(), 10, () => {}), 0);
  merge.add(1, shards[1]![0]!);
  const out = new Utf8Lines();
  assert.equal(merge.drain(out, 7, () => {}), 7);
  assert.equal(new TextDecoder().decode(out.view()).split("\n").length, 8);
  // The rest of both first chunks, up to the first to run out.
  let used = -1;
  const n = merge.drain(out, 1_000, (i) => used = i);
  assert.ok(n > 0 && n < 93, `${n}`);
  assert.equal(merge.ready(), false);
  assert.ok(used === 0 || used === 1);
});

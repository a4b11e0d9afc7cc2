/**
 * Atomic writes: a file written in pieces lands whole, and a writer that
 * fails leaves neither the file nor a temp file behind.
 */
import assert from "node:assert/strict";
import {
  createJsonCheckpointStore,
  writeFileAtomic,
  under,
} from "../../src/warehouse/fs.ts";
import { withTmpDir } from "../_helpers.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("writeFileAtomic() lands content written in pieces", async () => {
  await using tmp = await withTmpDir();
  const path = `${tmp.path}/d/f.bin`;
  await writeFileAtomic(path, async (write) => {
    await write(new Uint8Array([1, 2]));
    await write(new Uint8Array([]));
    await write(new Uint8Array([3]));
  });
  assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
  assert.deepEqual(await names(`${tmp.path}/d`), ["f.bin"]);
});

Deno.test("writeFileAtomic(): a failing producer leaves nothing and its error comes out as it is", async () => {
  await using tmp = await withTmpDir();
  const path = `${tmp.path}/f.bin`;
  const boom = new RangeError("input file is corrupt");
  await assert.rejects(
    writeFileAtomic(path, async (write) => {
      await write(new Uint8Array([1, 2, 3]));
      throw boom;
    }),
    (e) => e === boom,
  );
  assert.deepEqual(await names(tmp.path), []);
});

Deno.test("the checkpoint store removes a partition's temp leftovers when it takes the partition, and only that partition's", async () => {
  await using tmp = await withTmpDir();
  const store = createJsonCheckpointStore(tmp.path);
  await store.acquire(2, 1000);
  await store.save(2, '{"ok":true}');
  await store.release(2);
  const dir = `${tmp.path}/partitions`;
  // Writes killed before their rename: half-written hidden temp files.
  await Deno.writeTextFile(`${dir}/.tmp-0123abcd-2.json`, '{"ne');
  await Deno.writeTextFile(`${dir}/.tmp-89abcdef-12.json`, '{"ne');
  await store.acquire(2, 1000);
  assert.deepEqual(await names(dir), [".tmp-89abcdef-12.json", "2.json"]);
  assert.equal(await store.load(2), '{"ok":true}');
  await store.release(2);
});

Deno.test("under() keeps every path built from input inside its root", () => {
  assert.equal(under("/w", "t", "date=2026-11-02", "f"), "/w/t/date=2026-11-02/f");
  for (const parts of [[".."], ["."], ["a/../.."], ["t", "../../x"]]) {
    assert.throws(
      () => under("/w", ...parts),
      /would be outside/,
      parts.join(","),
    );
  }
  assert.equal(under("/w", "/etc"), "/w/etc");
});

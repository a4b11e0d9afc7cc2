/**
 * Atomic writes: a file written in pieces lands whole, and a writer that
 * fails leaves neither the file nor a temp file behind.
 */
import assert from "node:assert/strict";
import { writeFileAtomic } from "../../src/adapters/fs.ts";
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

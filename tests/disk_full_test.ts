/**
 * A full disk ends the run within seconds, naming the path, instead of
 * stalling: the warehouse on a 3 MB tmpfs (needs root to mount; skipped
 * with a message where mounting is not allowed).
 */
import assert from "node:assert/strict";
import { tvstream } from "../tools/tvstream_cli.ts";

/** Mounts a 3 MB tmpfs at a new directory, or returns undefined. */
async function tinyDisk(): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "tvstream-tiny-" });
  try {
    const out = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=3m", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success) return dir;
  } catch { /* no mount command */ }
  await Deno.remove(dir);
  return undefined;
}

/** Unmounts and removes a tiny disk. */
async function removeDisk(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output();
  await Deno.remove(dir, { recursive: true });
}

// Probe once (mount, unmount) so that the test is skipped, not failed,
// where mounting is not allowed.
const probe = await tinyDisk();
if (probe) await removeDisk(probe);
else console.warn("cannot mount a tmpfs here: skipping the full-disk test");

Deno.test({
  name:
    "a full disk ends tvstream run within seconds with one line naming the file",
  ignore: !probe,
}, async () => {
  const disk = await tinyDisk();
  assert.ok(disk, "mounting a tmpfs worked a moment ago");
  try {
    const started = Date.now();
    const r = await tvstream(
      ["run", "--from", "2025-06-02", "--to", "2025-06-03", "--rate", "0"],
      { cwd: disk, timeoutMs: 60_000 },
    );
    const seconds = (Date.now() - started) / 1000;
    assert.equal(r.code, 1, r.stderr);
    assert.ok(seconds < 30, `took ${seconds} s`);
    const errors = r.stderr.split("\n").filter((l) => l.includes("error"));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(
      errors[0]!,
      /Cannot write "warehouse\/tv_events\/date=2025-06-02\/[^"]+": No space left on device/,
    );
  } finally {
    await removeDisk(disk);
  }
});

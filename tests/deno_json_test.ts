/** The manifest: what `deno compile` and a fresh clone depend on. */
import assert from "node:assert/strict";
import manifest from "../deno.json" with { type: "json" };

Deno.test("deno.json compile.include lists every worker file and every dashboard file", async () => {
  const files: string[] = [];
  for (const dir of ["workers", "src/live/page"]) {
    const url = new URL(`../${dir}/`, import.meta.url);
    for await (const f of Deno.readDir(url)) {
      if (f.isFile) files.push(`${dir}/${f.name}`);
    }
  }
  assert.ok(files.filter((f) => f.startsWith("workers/")).length >= 2);
  assert.ok(files.includes("src/live/page/index.html"));
  assert.deepEqual([...manifest.compile.include].sort(), files.sort());
});

Deno.test("the pipeline and sample build worker URLs statically from import.meta.url", async () => {
  // Each spawner and where it sits relative to the repository root.
  const spawners = await Promise.all(
    [["src/pipeline.ts", "../"], ["src/generator/shards.ts", "../../"]].map(
      async ([file, up]) => ({
        file,
        up,
        text: await Deno.readTextFile(new URL(`../${file}`, import.meta.url)),
      }),
    ),
  );
  const workers = manifest.compile.include.filter((n) =>
    n.startsWith("workers/")
  );
  for (const name of workers) {
    assert.ok(
      spawners.some(({ up, text }) =>
        text.includes(`new URL("${up}${name}", import.meta.url)`)
      ),
      `${name} must be spawned with a static URL`,
    );
  }
  for (const { file, text } of spawners) {
    assert.doesNotMatch(text, /new Worker\(\s*["'`]/, file);
  }
});

Deno.test("every npm import is pinned to an exact version", () => {
  for (const [name, spec] of Object.entries(manifest.imports)) {
    assert.match(
      spec,
      // `npm:name@1.2.3`, a file in it, or (`npm:/name@1.2.3/`) its folder.
      /^npm:\/?(@[\w-]+\/)?[\w.-]+@\d+\.\d+\.\d+(-[\w.]+)?(\/[\w./-]*)?$/,
      `${name}: ${spec}`,
    );
  }
});

Deno.test("the compile task names the binary, scopes env, and is the one the release uses", async () => {
  const task = manifest.tasks.compile;
  assert.match(task, /--output dist\/tvstream/);
  assert.match(task, /--allow-env=[A-Z_,]+/);
  assert.doesNotMatch(task, /--allow-all|-A\b|--env-file/);
  const release = await Deno.readTextFile(
    new URL("../.github/workflows/release.yml", import.meta.url),
  );
  for (
    const target of [
      "x86_64-unknown-linux-gnu",
      "aarch64-unknown-linux-gnu",
      "x86_64-apple-darwin",
      "aarch64-apple-darwin",
      "x86_64-pc-windows-msvc",
    ]
  ) {
    assert.ok(release.includes(target), `release builds ${target}`);
  }
  assert.match(release, /\.tasks\.compile/);
  // The binary runs with the V8 memory flags `deno task dev` (and the bench)
  // use: the README's memory figures hold for both.
  const flags = (t: string) => /--v8-flags=\S+/.exec(t)?.[0];
  assert.ok(flags(task), "compile sets --v8-flags");
  assert.equal(flags(task), flags(manifest.tasks.dev));
});

Deno.test("deno.json runs tests with the resource and op sanitizers on", () => {
  assert.equal(manifest.test.sanitizeOps, true);
  assert.equal(manifest.test.sanitizeResources, true);
  assert.match(manifest.tasks.ok, /fmt --check.*lint.*check.*test/);
});

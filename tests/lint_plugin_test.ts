/**
 * The house rule on function length is enforced by `deno lint` through
 * tools/lint_plugin.ts: a function over the limit fails lint, one at the
 * limit passes.
 */
import assert from "node:assert/strict";
import { MAX_FUNCTION_LINES } from "../tools/lint_plugin.ts";
import { withTmpDir } from "./_helpers.ts";

/** A function of `lines` lines in all: its head, `lines - 2` statements, its brace. */
function fn(name: string, lines: number): string {
  const body = Array.from({ length: lines - 3 }, (_, i) => `  total += ${i};`);
  return [
    `export function ${name}(total: number): number {`,
    ...body,
    "  return total;",
    "}",
  ].join("\n") + "\n";
}

Deno.test("deno lint fails a function longer than the house limit, and only that one", async () => {
  await using tmp = await withTmpDir();
  const plugin = new URL("../tools/lint_plugin.ts", import.meta.url).pathname;
  await Deno.writeTextFile(
    `${tmp.path}/deno.json`,
    JSON.stringify({ lint: { plugins: [plugin] } }),
  );
  await Deno.writeTextFile(
    `${tmp.path}/long.ts`,
    fn("long", MAX_FUNCTION_LINES + 1),
  );
  await Deno.writeTextFile(
    `${tmp.path}/short.ts`,
    fn("short", MAX_FUNCTION_LINES),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["lint"],
    cwd: tmp.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assert.equal(out.success, false, text);
  assert.match(text, /tvstream\/max-function-lines/);
  assert.match(text, new RegExp(`spans ${MAX_FUNCTION_LINES + 1} lines`));
  assert.match(text, /long\.ts/);
  assert.doesNotMatch(text, /short\.ts/);
});

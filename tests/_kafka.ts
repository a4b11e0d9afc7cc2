/** kcat helpers for tests; the mock cluster launcher lives in bench/. */
export {
  hasKcat,
  type MockCluster,
  startMockCluster,
} from "../bench/_mock_cluster.ts";

/** Runs kcat with `args` (and stdin), returning stdout. */
export async function kcat(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("kcat", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `kcat ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

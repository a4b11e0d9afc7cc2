/** kcat helpers for tests; the mock cluster itself is tools/mock_cluster.ts. */
export {
  hasLibrdkafka,
  type MockCluster,
  startMockCluster,
} from "../tools/mock_cluster.ts";

/** Whether kcat is installed. */
export async function hasKcat(): Promise<boolean> {
  try {
    const out = await new Deno.Command("kcat", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

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

/**
 * `Deno.test` for tests that need the mock cluster or kcat: skipped when
 * `ready` is false, and without the sanitizers (kafkajs leaves timers and
 * sockets behind after disconnecting).
 */
export function kafkaTest(
  ready: boolean,
): (name: string, fn: () => Promise<void>) => void {
  return (name, fn) =>
    Deno.test({
      name,
      ignore: !ready,
      sanitizeOps: false,
      sanitizeResources: false,
      fn,
    });
}

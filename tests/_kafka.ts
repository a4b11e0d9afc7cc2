/**
 * A real Kafka-protocol cluster for tests: librdkafka's mock brokers inside
 * kcat (3 brokers, topics auto-created with 4 partitions).
 */

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

/** A running mock cluster; dispose to stop it. */
export interface MockCluster extends AsyncDisposable {
  bootstrap: string;
}

/** Starts kcat's mock cluster (it lives while kcat consumes `topic`). */
export async function startMockCluster(
  topic = "tv_events",
): Promise<MockCluster> {
  const child = new Deno.Command("kcat", {
    args: [
      "-C",
      "-b",
      "localhost:1",
      "-t",
      topic,
      "-X",
      "test.mock.num.brokers=3",
      "-d",
      "mock",
      "-q",
      "-o",
      "end",
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let bootstrap = "";
  const deadline = Date.now() + 10_000;
  while (!bootstrap && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = /replaced with (\S+)/.exec(text);
    if (m) bootstrap = m[1]!;
  }
  // Keep draining stderr so kcat never blocks on a full pipe.
  const drain = (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  if (!bootstrap) {
    child.kill("SIGKILL");
    await child.status;
    await drain;
    throw new Error(`kcat mock cluster did not start: ${text.slice(0, 500)}`);
  }
  return {
    bootstrap,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await reader.cancel().catch(() => {});
      await drain;
    },
  };
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

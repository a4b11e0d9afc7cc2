/**
 * A real Kafka-protocol cluster for tests and benchmarks: librdkafka's mock
 * brokers inside kcat (3 brokers, topics auto-created with 4 partitions).
 *
 * @module
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

/** A running mock cluster; dispose (or `stop`) to end it. */
export interface MockCluster extends AsyncDisposable {
  bootstrap: string;
  /**
   * Freezes every broker (SIGSTOP): connections stay open but nothing is
   * answered, as when brokers hang or the network drops. Data is kept.
   */
  freeze(): void;
  /** Brings the brokers back (SIGCONT). */
  thaw(): void;
  stop(): Promise<void>;
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
    bootstrap = /replaced with (\S+)/.exec(text)?.[1] ?? "";
  }
  // Keep draining stderr so that kcat never blocks on a full pipe.
  const drain = (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  const stop = async () => {
    try {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await reader.cancel().catch(() => {});
    await drain;
  };
  if (!bootstrap) {
    await stop();
    throw new Error(`kcat mock cluster did not start: ${text.slice(0, 500)}`);
  }
  return {
    bootstrap,
    freeze: () => child.kill("SIGSTOP"),
    thaw: () => child.kill("SIGCONT"),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * A real Kafka-protocol cluster for tests, chaos runs and benchmarks:
 * librdkafka's mock brokers in a child process (tools/mock_broker.ts), with
 * broker faults injected through librdkafka's C API.
 *
 * @module
 */
import type { MockCommand } from "./mock_broker.ts";

/** Kafka API keys the fault tests use. */
export const API = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  SyncGroup: 14,
  InitProducerId: 22,
} as const;

/** Kafka error codes the fault tests inject (all retriable). */
export const ERR = {
  /** librdkafka's own: the broker drops the connection. */
  TRANSPORT: -195,
  REQUEST_TIMED_OUT: 7,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  REBALANCE_IN_PROGRESS: 27,
  UNKNOWN_MEMBER_ID: 25,
} as const;

/** Whether librdkafka (Debian's librdkafka1, which kcat depends on) can be loaded. */
export function hasLibrdkafka(): boolean {
  try {
    Deno.dlopen("librdkafka.so.1", {}).close();
    return true;
  } catch {
    return false;
  }
}

/** A running mock cluster; dispose (or `stop`) to end it. */
export interface MockCluster extends AsyncDisposable {
  bootstrap: string;
  /** Applies a fault or setup step; rejects if librdkafka refused it. */
  fault(command: MockCommand): Promise<void>;
  /**
   * Freezes every broker (SIGSTOP): connections stay open but nothing is
   * answered, as when brokers hang or the network drops. Data is kept.
   */
  freeze(): void;
  /** Brings the brokers back (SIGCONT). */
  thaw(): void;
  stop(): Promise<void>;
}

/** Starts a mock cluster of `brokers` brokers (ids 1..brokers). */
export async function startMockCluster(
  options: { brokers?: number } = {},
): Promise<MockCluster> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-env",
      new URL("./mock_broker.ts", import.meta.url).pathname,
      String(options.brokers ?? 3),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffered = "";
  const readLine = async (): Promise<string | undefined> => {
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) return undefined;
      buffered += value;
    }
  };
  const writer = child.stdin.getWriter();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await writer.close().catch(() => {});
    await child.status;
    await lines.cancel().catch(() => {});
  };
  const first = await readLine();
  const bootstrap = first ? JSON.parse(first).bootstrap as string : "";
  if (!bootstrap) {
    await stop();
    throw new Error(
      "the mock cluster did not start (is librdkafka1 installed?)",
    );
  }
  // One command at a time: each answer belongs to the command before it.
  let queue = Promise.resolve();
  const fault = (command: MockCommand) => {
    const done = queue.then(async () => {
      await writer.write(
        new TextEncoder().encode(JSON.stringify(command) + "\n"),
      );
      const answer = JSON.parse((await readLine()) ?? '{"ok":false}');
      if (!answer.ok) {
        throw new Error(
          `mock fault ${JSON.stringify(command)}: ${answer.error}`,
        );
      }
    });
    queue = done.catch(() => {});
    return done;
  };
  return {
    bootstrap,
    fault,
    freeze: () => child.kill("SIGSTOP"),
    thaw: () => child.kill("SIGCONT"),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * The part of `Worker`, `MessagePort` and worker `self` that tvstream uses.
 *
 * @module
 */
import {
  type Command,
  type DrainRange,
  type Report,
  type Role,
  type Stats,
  toWireError,
} from "../protocol.ts";

/** A worker's endpoint (its `self`) speaking the typed protocol. */
export type Endpoint = PortEnd<Command | Report>;

/** The part of a MessagePort a link between two workers uses, typed by what it sends. */
export interface PortEnd<Out> {
  postMessage(message: Out, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  removeEventListener(
    type: "message",
    listener: (e: MessageEvent) => void,
  ): void;
  start?(): void;
  close?(): void;
}

/** Messages received on a port, taken one at a time in arrival order. */
export interface Inbox<In> {
  /** The next message; `undefined` once `signal` has aborted. */
  take(signal: AbortSignal): Promise<In | undefined>;
  /** Stops listening. */
  close(): void;
}

/**
 * Starts queueing what arrives on `port`. `divert` sees each message first
 * and returns true for those it handles itself (replies to calls), which are
 * not queued.
 */
export function createInbox<In>(
  port: PortEnd<unknown>,
  divert?: (message: In) => boolean,
): Inbox<In> {
  const queue: In[] = [];
  let wake: (() => void) | undefined;
  const onMessage = (e: MessageEvent) => {
    const m = e.data as In;
    if (divert?.(m)) return;
    queue.push(m);
    wake?.();
  };
  port.addEventListener("message", onMessage);
  port.start?.();
  return {
    async take(signal) {
      if (queue.length === 0 && !signal.aborted) {
        const onAbort = () => wake?.();
        signal.addEventListener("abort", onAbort);
        try {
          while (queue.length === 0 && !signal.aborted) {
            await new Promise<void>((r) => wake = r);
            wake = undefined;
          }
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      }
      return signal.aborted ? undefined : queue.shift();
    },
    close() {
      port.removeEventListener("message", onMessage);
    },
  };
}

/** Posts a report, checked against the protocol at compile time. */
export function post(endpoint: Endpoint, report: Report): void {
  endpoint.postMessage(report);
}

/** What a worker's role does once it receives "start". */
export type RoleRun = (
  start: Extract<Command, { type: "start" }>,
  signal: AbortSignal,
  /** Settles with the offsets to drain when main sends "drain". */
  drain: Promise<DrainRange>,
) => Promise<Stats>;

/**
 * Serves one worker role on `endpoint`: registers the message listener
 * synchronously (before any await, or early messages are lost), runs on
 * "start", aborts on "stop", reports "stopped" or "failed", never exits.
 */
export function serveRole(endpoint: Endpoint, role: Role, run: RoleRun): void {
  const abort = new AbortController();
  const drain = Promise.withResolvers<DrainRange>();
  const onMessage = (event: MessageEvent) => {
    const command = event.data as Command;
    switch (command.type) {
      case "start":
        void start(command);
        break;
      case "stop":
        abort.abort();
        break;
      case "drain":
        drain.resolve(command.range);
        break;
      default: {
        const never: never = command;
        void never;
      }
    }
  };
  endpoint.addEventListener("message", onMessage);

  async function start(command: Extract<Command, { type: "start" }>) {
    try {
      const stats = await run(command, abort.signal, drain.promise);
      post(endpoint, { type: "stopped", role, stats });
    } catch (error) {
      post(endpoint, { type: "failed", role, error: toWireError(error) });
    } finally {
      endpoint.removeEventListener("message", onMessage);
    }
  }
}

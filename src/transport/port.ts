/**
 * The one port type tvstream's threads talk through (a `MessagePort`, a
 * `Worker` or a worker's `self`, typed by what it sends), and what every
 * link builds on: an inbox of messages taken in order, a wakeup to wait on,
 * the credit window that bounds records in flight, and the worker-role
 * skeleton.
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
import type { IncidentSpec } from "../world/incidents.ts";

/** The part of a MessagePort a link uses, typed by what it sends. */
export interface Port<Out> {
  postMessage(message: Out, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  removeEventListener(
    type: "message",
    listener: (e: MessageEvent) => void,
  ): void;
  start?(): void;
  close?(): void;
}

/** Something to wait on until a condition holds: `wake` re-checks it. */
export class Wakeup {
  #wake: (() => void) | undefined;

  /** Re-checks whatever is waiting. */
  wake(): void {
    this.#wake?.();
  }

  /** Resolves once `ready()` holds or `signal` has aborted. */
  async until(ready: () => boolean, signal?: AbortSignal): Promise<void> {
    if (ready() || signal?.aborted) return;
    const onAbort = () => this.wake();
    signal?.addEventListener("abort", onAbort);
    try {
      while (!ready() && !signal?.aborted) {
        await new Promise<void>((r) => this.#wake = r);
        this.#wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * The sending side of a credit window: records sent and not yet taken by
 * the receiver are outstanding, and a sender waits while more than `size`
 * are. This is what bounds memory when the receiver falls behind.
 */
export class CreditWindow {
  readonly #size: number;
  #outstanding = 0;
  readonly #wakeup = new Wakeup();

  /** A window of `size` records. */
  constructor(size: number) {
    this.#size = size;
  }

  /** Records sent. */
  sent(count: number): void {
    this.#outstanding += count;
  }

  /** Records the receiver has taken. */
  credit(count: number): void {
    this.#outstanding -= count;
    this.#wakeup.wake();
  }

  /** Forgets everything outstanding (the receiver restarted the stream). */
  reset(): void {
    this.#outstanding = 0;
    this.#wakeup.wake();
  }

  /** Wakes a waiting sender to re-check (it was stopped). */
  interrupt(): void {
    this.#wakeup.wake();
  }

  /**
   * Resolves once no more than `size` records are outstanding (true), or
   * with false once `signal` has aborted first.
   */
  async room(signal?: AbortSignal): Promise<boolean> {
    const open = () => this.#outstanding <= this.#size;
    await this.#wakeup.until(open, signal);
    return open();
  }
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
  port: Port<unknown>,
  divert?: (message: In) => boolean,
): Inbox<In> {
  const queue: In[] = [];
  const arrived = new Wakeup();
  const onMessage = (e: MessageEvent) => {
    const m = e.data as In;
    if (divert?.(m)) return;
    queue.push(m);
    arrived.wake();
  };
  port.addEventListener("message", onMessage);
  port.start?.();
  return {
    async take(signal) {
      await arrived.until(() => queue.length > 0, signal);
      return signal.aborted ? undefined : queue.shift();
    },
    close() {
      port.removeEventListener("message", onMessage);
    },
  };
}

/** Posts a report, checked against the protocol at compile time. */
export function post(endpoint: Port<Report>, report: Report): void {
  endpoint.postMessage(report);
}

/** What a worker's role does once it receives "start". */
export type RoleRun = (
  start: Extract<Command, { type: "start" }>,
  signal: AbortSignal,
  /** Settles with the offsets to drain when main sends "drain". */
  drain: Promise<DrainRange>,
  /** Incidents main sent since the last call (the generator takes them). */
  incidents: () => IncidentSpec[],
) => Promise<Stats>;

/**
 * Serves one worker role on `endpoint` (the worker's `self`): registers the
 * message listener synchronously (before any await, or early messages are
 * lost), runs on "start", aborts on "stop", reports "stopped" or "failed",
 * never exits.
 */
export function serveRole(
  endpoint: Port<Report>,
  role: Role,
  run: RoleRun,
): void {
  const abort = new AbortController();
  const drain = Promise.withResolvers<DrainRange>();
  const incidents: IncidentSpec[] = [];
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
      case "incident":
        incidents.push(command.spec);
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
      const stats = await run(
        command,
        abort.signal,
        drain.promise,
        () => incidents.splice(0),
      );
      post(endpoint, { type: "stopped", role, stats });
    } catch (error) {
      post(endpoint, { type: "failed", role, error: toWireError(error) });
    } finally {
      endpoint.removeEventListener("message", onMessage);
    }
  }
}

/**
 * Waits for `promise`, or for `signal` to abort: then resolves undefined
 * and leaves `promise` to settle unobserved (a later failure of it is
 * ignored, never an unhandled rejection).
 */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
): Promise<T | undefined> {
  promise.catch(() => {});
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

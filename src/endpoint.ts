/**
 * The part of `Worker`, `MessagePort` and worker `self` that tvstream uses.
 *
 * @module
 */
import {
  type Command,
  type Report,
  type Role,
  type Stats,
  toWireError,
} from "./protocol.ts";

/** A message endpoint speaking the typed protocol. */
export interface Endpoint {
  postMessage(message: Command | Report): void;
  addEventListener(
    type: "message",
    listener: (event: MessageEvent) => void,
  ): void;
  removeEventListener(
    type: "message",
    listener: (event: MessageEvent) => void,
  ): void;
  close?(): void;
}

/** Posts a report, checked against the protocol at compile time. */
export function post(endpoint: Endpoint, report: Report): void {
  endpoint.postMessage(report);
}

/** What a worker's role does once it receives "start". */
export type RoleRun = (
  start: Extract<Command, { type: "start" }>,
  signal: AbortSignal,
) => Promise<Stats>;

/**
 * Serves one worker role on `endpoint`: registers the message listener
 * synchronously (before any await, or early messages are lost), runs on
 * "start", aborts on "stop", reports "stopped" or "failed", never exits.
 */
export function serveRole(endpoint: Endpoint, role: Role, run: RoleRun): void {
  const abort = new AbortController();
  const onMessage = (event: MessageEvent) => {
    const command = event.data as Command;
    switch (command.type) {
      case "start":
        void start(command);
        break;
      case "stop":
        abort.abort();
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
      const stats = await run(command, abort.signal);
      post(endpoint, { type: "stopped", role, stats });
    } catch (error) {
      post(endpoint, { type: "failed", role, error: toWireError(error) });
    } finally {
      endpoint.removeEventListener("message", onMessage);
    }
  }
}

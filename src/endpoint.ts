/**
 * The part of `Worker`, `MessagePort` and worker `self` that tvstream uses.
 *
 * @module
 */
import type { Command, Report } from "./protocol.ts";

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

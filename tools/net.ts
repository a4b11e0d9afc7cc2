/**
 * Network helpers for tests, bench and tools.
 *
 * @module
 */

/** A loopback port that was free a moment ago (taken and released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

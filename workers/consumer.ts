/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Consumer worker: wiring only; the logic is in src/consumer/. */
import { serveConsumer } from "../src/consumer/role.ts";
import type { Endpoint } from "../src/transport/port.ts";

// serveConsumer registers its message listener before any await. Kafka is
// the fetcher worker's.
serveConsumer(self as unknown as Endpoint, {});

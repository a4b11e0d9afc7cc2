/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Generator worker: wiring only; the logic is in src/generator/. */
import { serveGenerator } from "../src/generator/serve.ts";
import type { Endpoint } from "../src/endpoint.ts";
import { advertiserNames } from "../src/adapters/faker.ts";

// serveGenerator registers its message listener before any await, so the
// "start" command cannot be lost. Kafka is the producer worker's.
serveGenerator(self as unknown as Endpoint, {
  advertisers: () => advertiserNames(),
});

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Generator worker: wiring only; the logic is in src/generator/. */
import { serveGenerator } from "../src/generator/role.ts";
import type { Endpoint } from "../src/transport/port.ts";
import { advertiserNames } from "../src/model/faker.ts";

// serveGenerator registers its message listener before any await, so the
// "start" command cannot be lost. Kafka is the producer worker's.
serveGenerator(self as unknown as Endpoint, {
  advertisers: () => advertiserNames(),
});

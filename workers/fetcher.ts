/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Fetcher worker: wiring only; the logic is in src/kafka/fetcher_role.ts and relay_source.ts. */
import { serveFetcher } from "../src/kafka/fetcher_role.ts";
import { connectConsumerSource } from "../src/kafka/source.ts";

// serveFetcher registers its message listener before any await.
serveFetcher(self, {
  connectSource: connectConsumerSource,
});

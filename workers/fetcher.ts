/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Fetcher worker: wiring only; the logic is in src/fetcher/ and src/relay/source.ts. */
import { serveFetcher } from "../src/fetcher/serve.ts";
import type { Endpoint } from "../src/endpoint.ts";
import { connectConsumerSource } from "../src/kafka/source.ts";

// serveFetcher registers its message listener before any await.
serveFetcher(self as unknown as Endpoint, {
  connectSource: connectConsumerSource,
});

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Producer worker: wiring only; the logic is in src/producer/ and src/relay/sink.ts. */
import { serveProducer } from "../src/producer/serve.ts";
import type { Endpoint } from "../src/endpoint.ts";
import { connectProducerSink } from "../src/kafka/sink.ts";

// serveProducer registers its message listener before any await.
serveProducer(self as unknown as Endpoint, {
  connectSink: connectProducerSink,
});

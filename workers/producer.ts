/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/** Producer worker: wiring only; the logic is in src/kafka/producer_role.ts and relay_sink.ts. */
import { serveProducer } from "../src/kafka/producer_role.ts";
import { connectProducerSink } from "../src/kafka/sink.ts";

// serveProducer registers its message listener before any await.
serveProducer(self, {
  connectSink: connectProducerSink,
});

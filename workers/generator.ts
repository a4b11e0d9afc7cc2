/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * Generator worker: builds its adapters and serves the loop in
 * src/generator/. With Kafka its port leads to the producer worker (which
 * acknowledges and saves positions); without, to the consumer (the
 * embedded transport).
 */
import { serveGenerator } from "../src/generator/role.ts";
import { advertiserNames } from "../src/model/faker.ts";
import { createRelaySink } from "../src/kafka/relay_sink.ts";
import { createChannelSink } from "../src/transport/channel.ts";

// serveGenerator registers its message listener before any await, so the
// "start" command cannot be lost.
serveGenerator(self, {
  advertisers: () => advertiserNames(),
  openSink: (config, port, signal) =>
    config.kafka
      ? createRelaySink(port)
      : createChannelSink(port, signal, { trusted: true }),
});

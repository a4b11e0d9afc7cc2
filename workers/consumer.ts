/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * Consumer worker: builds its adapters and serves the loop in
 * src/consumer/. With Kafka its port leads to the fetcher worker; without,
 * to the generator (the embedded transport).
 */
import { serveConsumer } from "../src/consumer/role.ts";
import { createSourceRelay } from "../src/kafka/relay_source.ts";
import { createChannelSource } from "../src/transport/channel.ts";
import { compactDay } from "../src/warehouse/compact.ts";
import {
  createFsWarehouse,
  createJsonCheckpointStore,
  under,
} from "../src/warehouse/fs.ts";

// serveConsumer registers its message listener before any await.
serveConsumer(self, {
  openSource: (config, port) =>
    config.kafka
      ? createSourceRelay(port)
      : createChannelSource(port, config.topic),
  openWarehouse: ({ sink, topic }) =>
    createFsWarehouse(sink.warehouse, topic, {
      compact: (date, partitions) =>
        compactDay(under(sink.warehouse, topic), date, partitions, {
          compression: sink.compression,
        }),
    }),
  openStore: ({ sink }) => createJsonCheckpointStore(sink.checkpoint),
});

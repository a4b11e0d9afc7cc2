/**
 * The bench's reference producer, run in its own process: kafkajs alone
 * sends the messages tvstream would send (key, value, timestamp, the
 * event, schema and seq headers), pre-serialised before the clock starts, 2000 per send, one send
 * in flight, as tvstream does. Stock kafkajs unless `--patched`, which loads
 * tvstream's Kafka adapter and with it its varint writers. Prints
 * `{"events", "seconds", "bytes"}` as JSON.
 *
 * @module
 */
import { installVarintWriters } from "../src/kafka/varints.ts";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { advertiserNames } from "../src/model/faker.ts";
import { createSimulator } from "../src/model/simulator.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    bootstrap: { type: "string" },
    events: { type: "string" },
    topic: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    patched: { type: "boolean", default: false },
  },
});
if (values.patched) installVarintWriters();
const n = Number(values.events);
const sim = createSimulator({
  seed: 3,
  households: 4000,
  startMs: Date.parse(values.from!),
  endMs: Date.parse(values.to!),
  advertisers: advertiserNames(),
});
const messages: {
  key: string;
  value: string;
  timestamp: string;
  headers: Record<string, string>;
}[] = [];
let bytes = 0;
for (let i = 0; i < n; i++) {
  const e = sim.next()!;
  const value = JSON.stringify(e);
  bytes += value.length;
  messages.push({
    key: e["tvId"] as string,
    value,
    timestamp: String(Date.parse(e.timestamp)),
    headers: { event: e.event, schema: "1", seq: String(i) },
  });
}
const kafka = new Kafka({
  clientId: "bench",
  brokers: values.bootstrap!.split(","),
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ allowAutoTopicCreation: true });
await producer.connect();
const started = performance.now();
for (let i = 0; i < messages.length; i += 2000) {
  await producer.send({
    topic: values.topic!,
    acks: -1,
    messages: messages.slice(i, i + 2000),
  });
}
const seconds = (performance.now() - started) / 1000;
await producer.disconnect();
console.log(JSON.stringify({ events: n, seconds, bytes }));

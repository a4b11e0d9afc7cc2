import { parseConfig } from "./src/config.ts";
import { connectConsumerSource } from "./src/adapters/kafka.ts";
const config = parseConfig([
  "consume",
  "--bootstrap",
  "127.0.0.1:35341,127.0.0.1:43291,127.0.0.1:35481",
  "--topic",
  "ret",
  "--checkpoint",
  "/tmp/ret/chk/ret",
]);
const src = await connectConsumerSource(config, undefined);
const ac = new AbortController();
setTimeout(() => ac.abort(), 15000);
for await (const d of src.deliveries({ signal: ac.signal })) {
  if (d.type === "assigned") {
    console.log("assigned", d.partitions);
    await src.seek({ "0": "1948", "1": "2017", "2": "1391", "3": "2644" });
    console.log("seeked");
  } else if (d.type === "batch") {
    console.log(
      "batch p",
      d.batch.partition,
      "first",
      d.batch.records[0]?.offset,
      "n",
      d.batch.records.length,
    );
  } else console.log(d.type);
}
await src.close();

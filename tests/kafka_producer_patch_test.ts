/**
 * The varint writers must be in effect wherever tvstream produces: the
 * producer side installs them itself. This file runs in its own isolate, so
 * nothing else installed them first.
 */
import assert from "node:assert/strict";
import { config as pipelineConfig, withTmpDir } from "./_helpers.ts";
import { connectProducerSink } from "../src/kafka/sink.ts";
import { varintWritersInstalled } from "../src/kafka/varints.ts";

import { hasLibrdkafka, startMockCluster } from "./_kafka.ts";

Deno.test({
  name: "connecting the producer side puts tvstream's varint writers in effect",
  ignore: !hasLibrdkafka(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startMockCluster();
    await using tmp = await withTmpDir();
    assert.ok(!varintWritersInstalled(), "installed before the producer");
    const config = pipelineConfig([
      "produce",
      "--bootstrap",
      cluster.bootstrap,
      "--topic",
      "varints",
      "--checkpoint",
      `${tmp.path}/chk`,
    ]);
    const target = await connectProducerSink(config, undefined);
    try {
      assert.ok(varintWritersInstalled());
      await target.sink.send([{
        key: "TV_000001",
        value: '{"event":"heartbeat"}',
        timestamp: Date.parse("2026-11-02T00:00:00Z"),
        event: "heartbeat",
        seq: 0,
      }]);
    } finally {
      await target.sink.close();
    }
  },
});

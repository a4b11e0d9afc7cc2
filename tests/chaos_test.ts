/**
 * Short versions of `deno task chaos`: SIGKILL at seeded random moments,
 * restart, and exactly once at the end. The long runs are `deno task chaos`.
 */
import assert from "node:assert/strict";
import { type ChaosResult, runChaos } from "../tools/chaos.ts";
import { runFaultChaos } from "../tools/chaos_faults.ts";
import { withTmpDir } from "./_helpers.ts";
import { hasLibrdkafka, startMockCluster } from "../tools/mock_cluster.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Every record landed exactly once, and every checkpoint written parsed. */
function assertExactlyOnce(
  r: Pick<
    ChaosResult,
    "badCheckpoints" | "rows" | "expected" | "distinctIds" | "distinctOffsets"
  >,
): void {
  assert.equal(r.badCheckpoints.length, 0, r.badCheckpoints.join("\n"));
  assert.equal(r.rows, r.expected);
  assert.equal(r.distinctIds, r.rows);
  assert.equal(r.distinctOffsets, r.rows);
}

Deno.test({
  name:
    "chaos (short): tvstream run killed and restarted lands every event exactly once",
  ...opts,
}, async () => {
  await using tmp = await withTmpDir();
  const r = await runChaos({
    scenario: "embedded",
    iterations: 3,
    seed: 7,
    minMs: 1500,
    maxMs: 3000,
    dir: tmp.path,
  });
  assert.ok(r.kills >= 1, "at least one kill landed mid-run");
  assertExactlyOnce(r);
});

Deno.test({
  name:
    "chaos (short): consumer killed while a producer runs: rows == records, no duplicate offset",
  ignore: !hasLibrdkafka(),
  ...opts,
}, async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const r = await runChaos({
    scenario: "kafka",
    iterations: 2,
    seed: 9,
    // Long enough to join the group and land files before each kill.
    minMs: 5000,
    maxMs: 7000,
    dir: tmp.path,
    bootstrap: cluster.bootstrap,
  });
  assert.equal(r.kills, 2);
  assert.ok(r.committedBeforeFinal > 0, "the killed consumers landed rows");
  assertExactlyOnce(r);
});

Deno.test({
  name:
    "chaos (short): SIGKILLs of producer and consumer mixed with broker faults: every event exactly once",
  ignore: !hasLibrdkafka(),
  ...opts,
}, async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const r = await runFaultChaos({
    steps: 6,
    seed: 4,
    minMs: 1500,
    maxMs: 2500,
    dir: tmp.path,
    cluster,
  });
  assert.ok(r.kills + r.faults >= 5, r.steps.join("\n"));
  assertExactlyOnce(r);
});

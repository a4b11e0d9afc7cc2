/**
 * The live view's state: per-second rates from cumulative reports, the
 * last figures kept across a stop report, bounded warnings and history;
 * and the broker error type a retry is counted under, on kafkajs's own
 * error classes.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { HISTORY_SECONDS, LiveState } from "../../src/live/state.ts";
import { retryKind } from "../../src/kafka/client.ts";
import { BrokerError } from "../../src/errors.ts";
import { emptyQuality, emptyStats, type Stats } from "../../src/protocol.ts";
import { config } from "../_helpers.ts";

const T0 = Date.parse("2026-11-02T20:00:00Z");

function consumer(events: number, byType: Record<string, number>): Stats {
  return { ...emptyStats(), events, rows: events, byType };
}

Deno.test("live state: rates per second come from the difference of two reports over the time between them", () => {
  const state = new LiveState(config(["run"]), T0);
  state.report({
    type: "progress",
    role: "consumer",
    stats: consumer(1000, { heartbeat: 900, pause: 100 }),
  });
  const first = state.tick(T0 + 1000);
  // The first tick compares with the empty state at start.
  assert.equal(first.rates.consumed, 1000);
  state.report({
    type: "progress",
    role: "consumer",
    stats: consumer(4000, { heartbeat: 3700, pause: 250, error: 50 }),
  });
  const second = state.tick(T0 + 3000);
  assert.equal(second.rates.consumed, 1500);
  assert.deepEqual(second.rates.byType, {
    heartbeat: 1400,
    pause: 75,
    error: 25,
  });
  assert.deepEqual(second.totalsByType, {
    heartbeat: 3700,
    pause: 250,
    error: 50,
  });
  assert.equal(second.seq, first.seq + 1);
  assert.equal(state.history.length, 2);
});

Deno.test("live state: a stop report keeps the last audience figures; warnings and history stay bounded", () => {
  const state = new LiveState(config(["run"]), T0);
  const audience = {
    asOf: T0,
    viewers: { VTM: 2 },
    byService: {},
    byDevice: {},
    byRegion: {},
    adMinutesPerHour: {},
    quality: emptyQuality(),
  };
  state.report({
    type: "progress",
    role: "consumer",
    stats: { ...consumer(10, {}), audience },
  });
  state.report({ type: "stopped", role: "consumer", stats: consumer(12, {}) });
  for (let i = 0; i < 50; i++) {
    state.report({
      type: "log",
      role: "fetcher",
      level: "warn",
      message: `w${i}`,
    });
  }
  state.report({ type: "log", role: "fetcher", level: "info", message: "no" });
  for (let i = 1; i <= HISTORY_SECONDS + 20; i++) state.tick(T0 + i * 1000);
  state.finish(T0 + (HISTORY_SECONDS + 21) * 1000);
  const s = state.snapshot;
  assert.equal(s.done, true);
  assert.equal(s.pipeline.consumed, 12);
  assert.equal(s.audience?.viewersTotal, 2);
  assert.equal(s.warnings.length, 20);
  assert.equal(s.warnings.at(-1), "fetcher: w49");
  assert.equal(state.history.length, HISTORY_SECONDS);
});

Deno.test("retryKind: the broker's error type through kafkajs's wrappers and ours, else the error's name", () => {
  // kafkajs builds protocol errors from its error-code table entries.
  const entry = {
    message: "This server is not the leader for that topic-partition",
    type: "NOT_LEADER_FOR_PARTITION",
    code: 6,
    retriable: true,
  };
  const notLeader = new kafkajs.KafkaJSProtocolError(
    entry as unknown as Error,
  );
  const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(notLeader, {
    retryCount: 8,
    retryTime: 5000,
  });
  assert.equal(retryKind(notLeader), "NOT_LEADER_FOR_PARTITION");
  assert.equal(
    retryKind(new BrokerError("Cannot produce", { cause: exhausted })),
    "NOT_LEADER_FOR_PARTITION",
  );
  const refused = new kafkajs.KafkaJSConnectionError("connect ECONNREFUSED");
  assert.equal(
    retryKind(new BrokerError("Cannot reach Kafka", { cause: refused })),
    "KafkaJSConnectionError",
  );
  assert.equal(retryKind("text"), "Error");
});

import assert from "node:assert/strict";
import { createSimulator } from "../../src/model/simulator.ts";
import { advertiserNames } from "../../src/model/faker.ts";
import {
  eventJson,
  type EventParts,
  eventUtf8Bound,
  writeEventUtf8,
} from "../../src/model/event_line.ts";
import type { SessionContext } from "../../src/model/session.ts";
import { Utf8Lines } from "../../src/kafka/lines.ts";
import { Rng } from "../../src/model/rng.ts";

const encoder = new TextEncoder();

/** `p` written as bytes, checked against its bound. */
function bytesOf(p: EventParts): Uint8Array {
  const buf = new Uint8Array(eventUtf8Bound(p) + 8).fill(0xee);
  const end = writeEventUtf8(p, buf, 3);
  assert.ok(end - 3 <= eventUtf8Bound(p), "within the bound");
  assert.equal(buf[end], 0xee, "nothing written past the end");
  return buf.subarray(3, end);
}

Deno.test("every event written as bytes is its JSON text as UTF-8, and that text is what JSON.stringify writes", () => {
  const sim = createSimulator({
    seed: 9,
    households: 300,
    startMs: Date.parse("2026-11-07T18:00:00Z"),
    endMs: Date.parse("2026-11-07T20:00:00Z"),
    advertisers: advertiserNames(),
  });
  const lines = new Utf8Lines();
  const expected = new Utf8Lines();
  let heartbeats = 0;
  let wideFields = 0;
  let events = 0;
  for (let r = sim.nextRecord(); r; r = sim.nextRecord(), events++) {
    const bytes = bytesOf(r);
    const text = r.json;
    assert.deepEqual(bytes, encoder.encode(text), text);
    assert.equal(JSON.stringify(JSON.parse(text)), text);
    lines.pushEvent(r);
    expected.push(text);
    if (r.event === "heartbeat") heartbeats++;
    // deno-lint-ignore no-control-regex
    else if (/[^\x00-\x7f]/.test(r.fields)) wideFields++;
  }
  assert.ok(events > 50_000, `${events} events`);
  assert.ok(heartbeats > events / 2, `${heartbeats} heartbeats`);
  assert.ok(wideFields > 0, "some event's own fields are not ASCII");
  assert.deepEqual(lines.view(), expected.view());
});

Deno.test("a heartbeat's numbers are written as bytes as JSON writes them, at the edges", () => {
  const ctx = {
    sharedJson: '"region":"La Louvière","os":"VOO évasion box",',
  } as unknown as SessionContext;
  const base: EventParts = {
    event: "heartbeat",
    t: Date.parse("2026-11-02T20:15:07.009Z"),
    lanes: [1, 2, 3, 4],
    n: 7,
    ctx,
    fields: '"playbackSessionId":"AS_1-1","contentId":"Thuis in Ré"',
    positionSec: 0,
    bitrateKbps: 3000,
    bufferHealthSec: 0,
  };
  const edges = [0, -0, 0.04, 0.05, 0.95, 9.95, 10, 1e14, 1e16, -1.25, NaN];
  const r = new Rng(3);
  for (let i = 0; i < 5_000; i++) edges.push(r.uniform(0, 20_000));
  const kbps = [0, 3000, 2500.5, -1, 1e21, 145];
  for (let i = 0; i < edges.length; i++) {
    const p = {
      ...base,
      positionSec: edges[i]!,
      bufferHealthSec: edges[(i * 7) % edges.length]!,
      bitrateKbps: kbps[i % kbps.length]!,
      // A new reference now and then: the bytes follow the text.
      fields: i % 100 === 0 ? base.fields + ',"n":' + i : base.fields,
    };
    assert.deepEqual(bytesOf(p), encoder.encode(eventJson(p)), `${i}`);
  }
  const text = eventJson({ ...base, positionSec: 12.34, bufferHealthSec: 8 });
  assert.match(
    text,
    /"contentId":"Thuis in Ré","positionSec":12.3,"bitrateKbps":3000,"bufferHealthSec":8}$/,
  );
});

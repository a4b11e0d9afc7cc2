import assert from "node:assert/strict";
import { createSimulator, type Position } from "../../src/model/simulator.ts";
import { advertiserNames } from "../../src/model/faker.ts";

const advertisers = advertiserNames();
import { EVENT_FIELDS, EVENT_TYPES } from "../../src/model/event.ts";

const FROM = Date.parse("2026-11-06T17:00:00Z");
const TO = Date.parse("2026-11-06T23:00:00Z");

function drain(
  options: Parameters<typeof createSimulator>[0],
  limit = Infinity,
) {
  const sim = createSimulator(options);
  const lines: string[] = [];
  let r;
  while (lines.length < limit && (r = sim.nextRecord())) lines.push(r.json);
  return { lines, position: sim.position() };
}

Deno.test("createSimulator() is byte-identical for the same seed and flags", () => {
  const a = drain({
    advertisers,
    seed: 3,
    households: 80,
    startMs: FROM,
    endMs: TO,
  });
  const b = drain({
    advertisers,
    seed: 3,
    households: 80,
    startMs: FROM,
    endMs: TO,
  });
  assert.ok(a.lines.length > 10_000);
  assert.equal(a.lines.join("\n"), b.lines.join("\n"));
  const c = drain({
    advertisers,
    seed: 4,
    households: 80,
    startMs: FROM,
    endMs: TO,
  });
  assert.notEqual(a.lines.join("\n"), c.lines.join("\n"));
});

Deno.test("createSimulator() resumed at a position continues the same stream", () => {
  const whole =
    drain({ advertisers, seed: 11, households: 80, startMs: FROM, endMs: TO })
      .lines;
  for (const cut of [1, 977, 12_345, whole.length - 3]) {
    const head = drain({
      advertisers,
      seed: 11,
      households: 80,
      startMs: FROM,
      endMs: TO,
    }, cut);
    const tail = drain({
      advertisers,
      seed: 11,
      households: 80,
      startMs: FROM,
      endMs: TO,
      resume: head.position,
    }).lines;
    assert.equal(
      head.lines.length + tail.length,
      whole.length,
      `cut at ${cut}`,
    );
    assert.ok(
      head.lines.concat(tail).every((l, i) => l === whole[i]),
      `cut at ${cut}`,
    );
  }
});

Deno.test("createSimulator() resumes when several events share the cut instant", () => {
  const whole =
    drain({ advertisers, seed: 5, households: 80, startMs: FROM, endMs: TO })
      .lines;
  // Find two consecutive events with the same timestamp and cut between them.
  const i = whole.findIndex((l, k) =>
    k > 0 && JSON.parse(l).timestamp === JSON.parse(whole[k - 1]!).timestamp
  );
  assert.ok(i > 0, "the stream has simultaneous events");
  const head = drain({
    advertisers,
    seed: 5,
    households: 80,
    startMs: FROM,
    endMs: TO,
  }, i);
  const position: Position = head.position;
  assert.ok(position.n >= 1);
  const tail = drain({
    advertisers,
    seed: 5,
    households: 80,
    startMs: FROM,
    endMs: TO,
    resume: position,
  }).lines;
  assert.equal(tail[0], whole[i]);
});

Deno.test("createSimulator() keeps events in [from, to) and in time order", () => {
  const { lines } = drain({
    advertisers,
    seed: 1,
    households: 50,
    startMs: FROM,
    endMs: TO,
  });
  let last = 0;
  for (const l of lines) {
    const t = Date.parse(JSON.parse(l).timestamp);
    assert.ok(t >= FROM && t < TO);
    assert.ok(t >= last);
    last = t;
  }
});

Deno.test("createSimulator() emits every event type over a few days", () => {
  const { lines } = drain({
    advertisers,
    seed: 2,
    households: 200,
    startMs: FROM,
    endMs: FROM + 3 * 86_400_000,
  });
  const seen = new Set(lines.map((l) => JSON.parse(l).event));
  for (const t of EVENT_TYPES) assert.ok(seen.has(t), `missing ${t}`);
  assert.equal(Object.keys(EVENT_FIELDS).length, EVENT_TYPES.length);
});

Deno.test("createSimulator() writes each event's text exactly as JSON.stringify would", () => {
  // The simulator writes JSON text by concatenation (no object, no
  // stringify): every line must be what JSON.stringify writes for the
  // parsed event, the record's type, device and time must be the event's,
  // and next() must return that same event.
  const options = {
    advertisers,
    seed: 5,
    households: 300,
    startMs: FROM,
    endMs: FROM + 2 * 86_400_000,
  };
  const sim = createSimulator(options);
  const objects = createSimulator(options);
  const types = new Set<string>();
  let n = 0;
  for (let r; (r = sim.nextRecord()); n++) {
    const e = JSON.parse(r.json);
    assert.equal(JSON.stringify(e), r.json);
    assert.equal(r.event, e.event);
    assert.equal(r.tvId, e.tvId);
    assert.equal(r.t, Date.parse(e.timestamp));
    assert.deepEqual(objects.next(), e);
    types.add(e.event);
  }
  assert.equal(objects.next(), undefined);
  assert.ok(n > 50_000, String(n));
  assert.equal(types.size, EVENT_TYPES.length);
});

Deno.test("quote() and flat() match JSON.stringify and leave text unchanged", async () => {
  const { flat, quote } = await import("../../src/model/text.ts");
  const samples = [
    "",
    "VRT 1",
    'Say "cheese"',
    "back\\slash",
    "tab\tnew\nline\u0001\u001f",
    "Liège, Eén, Ça",
    "emoji \u{1F4FA} pair",
    "lone \ud800 high",
    "lone \udc00 low",
    "\u2028\u2029",
  ];
  for (const s of samples) {
    assert.equal(quote(s), JSON.stringify(s), JSON.stringify(s));
    const rope = s + "-" + s + "-" + String(s.length);
    assert.equal(flat(rope), rope);
  }
});

Deno.test("createSimulator() memory follows active sessions, not population", () => {
  const sim = createSimulator({
    advertisers,
    seed: 1,
    households: 200_000,
    startMs: Date.parse("2026-11-06T03:30:00Z"),
  });
  for (let i = 0; i < 20_000; i++) sim.next();
  // At 04:30 local about 1% of 200,000 homes watch: hundreds to thousands, not 200,000.
  assert.ok(
    sim.activeSessions() > 200 && sim.activeSessions() < 12_000,
    String(sim.activeSessions()),
  );
});

Deno.test("isoTime() formats exactly like Date#toISOString", async () => {
  const { isoTime } = await import("../../src/model/time.ts");
  const samples = [
    0,
    999,
    1000,
    946_684_799_999,
    1_793_600_000_123,
    4_102_444_799_999,
  ];
  for (let i = 0; i < 20_000; i++) {
    samples.push(Math.floor(Math.random() * 4_102_444_800_000));
  }
  samples.sort((a, b) => a - b);
  for (const ms of samples) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
  for (const ms of samples.reverse()) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

Deno.test("createSimulator(): resuming in a dense evening continues the identical stream, whichever sessions were kept hours before", () => {
  // 80 households from 18:00: by 21:00 sessions of up to eight hours, kept
  // or dropped by arrivals up to eight hours before their own start, are
  // still running. A replay of only eight hours got some of them wrong.
  const options = {
    seed: 1,
    households: 80,
    startMs: Date.parse("2026-11-02T18:00:00Z"),
    endMs: Date.parse("2026-11-03T00:00:00Z"),
    advertisers: ["Acme"],
  };
  const whole = createSimulator(options);
  const texts: string[] = [];
  const positions: Position[] = [];
  for (let r; (r = whole.nextRecord()) && texts.length < 41_000;) {
    texts.push(r.json);
    positions.push(whole.position());
  }
  for (const at of [36_000, 38_000]) {
    const resumed = createSimulator({ ...options, resume: positions[at - 1]! });
    for (let i = at; i < at + 3_000; i++) {
      assert.equal(resumed.nextRecord()?.json, texts[i], `resumed at ${at}`);
    }
  }
});

Deno.test("createSimulator(): four shards add up to the whole stream, event for event", async () => {
  const options = {
    advertisers,
    seed: 8,
    households: 60,
    startMs: Date.parse("2026-11-05T18:00:00Z"),
    endMs: Date.parse("2026-11-05T21:00:00Z"),
  };
  const digest = async (lines: string[]) =>
    Array.from(
      new Uint8Array(
        await crypto.subtle.digest(
          "SHA-256",
          new TextEncoder().encode([...lines].sort().join("\n")),
        ),
      ),
    ).map((b) => b.toString(16).padStart(2, "0")).join("");
  const whole = drain(options).lines;
  const shards = [0, 1, 2, 3].map((index) =>
    drain({ ...options, shard: { index, count: 4 } }).lines
  );
  assert.ok(whole.length > 20_000, `${whole.length} events`);
  for (const s of shards) assert.ok(s.length > 0 && s.length < whole.length);
  assert.equal(await digest(shards.flat()), await digest(whole));
  // Disjoint: no event in two shards.
  assert.equal(shards.flat().length, whole.length);
});

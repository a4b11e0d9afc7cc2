/**
 * Incidents: the syntax and its one-line errors, placing `HH:MM` in
 * Brussels time, a stream untouched outside the windows, and each kind's
 * effect as `validate` measures it from the events, with the KPIs judged
 * outside the windows and a claimed incident that did not happen failing.
 */
import assert from "node:assert/strict";
import { createSimulator } from "../../src/model/simulator.ts";
import {
  type IncidentSpec,
  parseIncident,
  placeIncidents,
} from "../../src/world/incidents.ts";
import { createValidator } from "../../src/validate/validator.ts";
import { WORLD } from "../../src/world/world.ts";

Deno.test("parseIncident(): kind, targets, quoted values and defaults", () => {
  assert.deepEqual(
    parseIncident(
      'cdn_outage cdn="Netflix Open Connect" at=2026-11-02T20:30Z for=90s severity=0.5',
    ),
    {
      kind: "cdn_outage",
      at: Date.parse("2026-11-02T20:30:00Z"),
      durationMs: 90_000,
      severity: 0.5,
      cdn: "Netflix Open Connect",
    },
  );
  assert.deepEqual(parseIncident("live_event channel=VRT1 at=20:45"), {
    kind: "live_event",
    at: "20:45",
    durationMs: 15 * 60_000,
    severity: 0.8,
    channel: "VRT1",
  });
});

const BAD: [string, RegExp][] = [
  ["meteor at=20:00", /expected a kind first, one of cdn_outage, /],
  ["cdn_outage at=20:00", /cdn_outage needs cdn=\.\.\./],
  ["cdn_outage cdn=Akamai", /expected at=HH:MM or at=<ISO date-time>/],
  ["cdn_outage cdn=Akamai at=25:00", /expected at=HH:MM .* got "25:00"/],
  [
    "cdn_outage cdn=Akamai at=20:00 for=ever",
    /expected for=<N>s, <N>m or <N>h, got "ever"/,
  ],
  [
    "cdn_outage cdn=Akamai at=20:00 severity=2",
    /expected severity above 0 and at most 1, got "2"/,
  ],
  ["cdn_outage cdn=Akamai at=20:00 os=iOS", /cdn_outage takes no os=/],
  [
    "cdn_outage cdn=Akamai at=20:00 colour=red",
    /expected key=value with a key among at, for, .* got "colour=red"/,
  ],
  [
    "isp_degradation isp=VOO region=Namur at=20:00",
    /expected region=VLG, WAL or BRU, got "Namur"/,
  ],
];

for (const [text, message] of BAD) {
  Deno.test(`parseIncident(): "${text}" is one line naming what is wrong`, () => {
    assert.throws(() => parseIncident(text), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /^Cannot use --incident "/);
      assert.match(error.message, message);
      return true;
    });
  });
}

Deno.test("placeIncidents(): HH:MM is Brussels time on the anchor's day, winter and summer", () => {
  const spec = parseIncident("ad_server_down at=20:30 for=1h");
  const [winter] = placeIncidents([spec], Date.parse("2026-11-02T00:00:00Z"));
  assert.equal(winter!.fromMs, Date.parse("2026-11-02T19:30:00Z"));
  assert.equal(winter!.toMs, Date.parse("2026-11-02T20:30:00Z"));
  const [summer] = placeIncidents([spec], Date.parse("2026-07-01T12:00:00Z"));
  assert.equal(summer!.fromMs, Date.parse("2026-07-01T18:30:00Z"));
});

const FROM = Date.parse("2026-11-02T14:00:00Z");
const TO = Date.parse("2026-11-02T23:00:00Z");

/** Every event of a 250-household afternoon and evening with `specs`. */
function stream(specs: IncidentSpec[]): string[] {
  const sim = createSimulator({
    seed: 11,
    households: 250,
    startMs: FROM,
    endMs: TO,
    advertisers: ["Acme", "Globex"],
    incidents: placeIncidents(specs, FROM),
  });
  const out: string[] = [];
  for (let r = sim.nextRecord(); r; r = sim.nextRecord()) out.push(r.json);
  return out;
}

Deno.test("incidents outside the window leave the stream byte-identical", () => {
  const plain = stream([]);
  const elsewhere = stream([
    parseIncident("cdn_outage cdn=Akamai at=2026-11-03T20:00Z"),
    parseIncident("live_event channel=VRT1 at=2026-11-01T20:00Z for=2h"),
  ]);
  assert.ok(plain.length > 100_000);
  assert.equal(elsewhere.join("\n"), plain.join("\n"));
});

const FIVE = [
  "app_crash os=Android at=17:00 for=30m severity=0.9",
  "ad_server_down at=18:00 for=60m severity=0.6",
  "isp_degradation isp=Proximus region=WAL at=19:00 for=45m severity=0.7",
  "cdn_outage cdn=Akamai at=20:00 for=30m severity=0.8",
  "live_event channel=VRT1 at=20:45 for=105m severity=0.8",
].map(parseIncident);

function validate(lines: string[], specs: IncidentSpec[]) {
  const v = createValidator(WORLD, specs);
  for (const line of lines) v.feed(JSON.parse(line));
  return v.report();
}

Deno.test("each incident kind shows its promised effect in validate, with no rule broken and the KPIs judged outside the windows", () => {
  const lines = stream(FIVE);
  const report = validate(lines, FIVE);
  for (const [rule, v] of Object.entries(report.violations)) {
    assert.equal(v.count, 0, `${rule}: ${v.examples[0]}`);
  }
  assert.equal(report.incidents.length, 5);
  for (const f of report.incidents) {
    assert.ok(f.ok, `${f.incident}: ${f.inside} inside, ${f.outside} outside`);
    assert.ok(f.inside! > f.outside!, f.incident);
  }
  const vsf = (r: typeof report) =>
    r.kpis.find((k) => k.name === "video_start_failures")!;
  assert.ok(vsf(report).ok, `judged outside: ${vsf(report).value}`);
  // Told nothing of the incidents, the KPIs see the outage.
  const blind = validate(lines, []);
  assert.equal(blind.incidents.length, 0);
  assert.ok(!vsf(blind).ok, `the outage in the KPI: ${vsf(blind).value}`);
  // An incident that did not happen is not found in the events.
  const claimed = validate(lines, [
    parseIncident("app_crash os=Tizen at=15:00 for=1h"),
  ]);
  assert.equal(claimed.incidents[0]!.ok, false);
  assert.equal(claimed.ok, false);
});

Deno.test("a live event brings more viewers to the screen around kick-off", () => {
  const starts = (specs: IncidentSpec[]) => {
    const from = Date.parse("2026-11-02T18:00:00Z");
    const sim = createSimulator({
      seed: 4,
      households: 200,
      startMs: from,
      endMs: Date.parse("2026-11-02T21:00:00Z"),
      advertisers: ["Acme"],
      incidents: placeIncidents(specs, from),
    });
    let n = 0;
    for (let r = sim.nextRecord(); r; r = sim.nextRecord()) {
      // Kick-off at 19:45 UTC: sessions from 19:30 to 20:30.
      if (
        r.event === "app_start" && r.t >= Date.parse("2026-11-02T19:30:00Z") &&
        r.t < Date.parse("2026-11-02T20:30:00Z")
      ) n++;
    }
    return n;
  };
  const plain = starts([]);
  const match = starts([
    parseIncident("live_event channel=VRT1 at=20:45 for=105m severity=0.8"),
  ]);
  assert.ok(match > 1.4 * plain, `${plain} -> ${match} app sessions`);
});

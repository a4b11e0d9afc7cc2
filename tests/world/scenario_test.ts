/**
 * Scenario files: the built-in ones load, a mistake in a file is one line
 * naming its line and path, and a scenario that adds a channel and a
 * service changes the stream, lands in Parquet (read back by DuckDB) and
 * passes `validate` given the same scenario. Another scenario is another
 * stream: a resume with one is refused.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadScenario, parseScenario } from "../../src/world/scenario.ts";
import { WORLD, type World } from "../../src/world/world.ts";
import { parseLocated } from "../../src/world/json_located.ts";
import { stringify } from "yaml";
import { tvstream } from "../_cli.ts";
import { withTmpDir } from "../_helpers.ts";

const DEMO = JSON.stringify((await loadScenario("demo")).world, null, 2);

/** The demo scenario's text with `from` replaced by `to` (which must occur). */
function edit(from: string | RegExp, to: string): string {
  const text = DEMO.replace(from, to);
  assert.notEqual(text, DEMO, `${from} is in the demo scenario`);
  return text;
}

Deno.test("the built-in scenarios load; belgium is the world tvstream uses by default", async () => {
  const belgium = await loadScenario("belgium");
  assert.equal(belgium.world, WORLD);
  assert.match(belgium.hash, /^[0-9a-f]{64}$/);
  const demo = await loadScenario("demo");
  assert.equal(demo.world.name, "demo");
  assert.notEqual(demo.hash, belgium.hash);
  // A file with the built-in's content is that scenario.
  assert.deepEqual(parseScenario("demo.json", DEMO), demo.world);
});

Deno.test("parseLocated(): values as JSON.parse reads them, each with its line", () => {
  const text =
    '{\n  "a": [1,\n    {"b": "x\\"y"}],\n  "c": -2.5e3, "d": null\n}';
  const { value, lines } = parseLocated(text);
  assert.deepEqual(value, JSON.parse(text));
  assert.equal(lines.get("a"), 2);
  assert.equal(lines.get("a[1].b"), 3);
  assert.equal(lines.get("c"), 4);
});

const MISTAKES: [string, string, RegExp][] = [
  [
    "not JSON",
    edit('"name": "demo",', '"name": "demo"'),
    /^Cannot use scenario "s\.json": line 2: not valid JSON: expected ',' or '}', found "\\"description/,
  ],
  [
    "a key twice",
    edit('"name": "demo",', '"name": "demo",\n  "name": "x",'),
    /line 3: not valid JSON: name: the key appears twice$/,
  ],
  [
    "a misspelt key",
    edit('"tvSubscription"', '"tvSubscriptions"'),
    /line \d+, tvSubscriptions: unknown key; did you mean "tvSubscription"\?$/,
  ],
  [
    "a missing key",
    edit(/\n {2}"ladder": \[[\s\S]*?\n {2}\],/, ""),
    /line 1, ladder: expected key "ladder" \(the bitrate ladder.*\), got nothing$/,
  ],
  [
    "a wrong type",
    edit('"tvSubscription": 0.7', '"tvSubscription": "70%"'),
    /line \d+, tvSubscription: expected a number, got "70%"$/,
  ],
  [
    "a value not among the allowed",
    edit('"ads": "commercial"', '"ads": "some"'),
    /line \d+, channels\[1\]\.ads: expected one of "none", "commercial", got "some"$/,
  ],
  [
    "a number out of range",
    edit('"tvSubscription": 0.7', '"tvSubscription": 1.5'),
    /line \d+, tvSubscription: expected a number between 0 and 1, got 1\.5$/,
  ],
  [
    "a malformed address range",
    edit("198.51.100.0/24", "198.51.100.0/33"),
    /line \d+, operators\[0\]\.ipv4\[0\]: expected an IPv4 range in CIDR notation.*, got "198\.51\.100\.0\/33"$/,
  ],
  [
    "an id used twice",
    edit('"id": "TWO"', '"id": "ONE"'),
    /line \d+, channels\[1\]\.id: expected each id only once in channels, got "ONE"$/,
  ],
  [
    "a line-up naming no channel",
    edit('"lineup": "ONE"', '"lineup": "ONE,THREE"'),
    /line \d+, services\[1\]\.lineup: expected ids of channels in `channels`, got "THREE", which is not one$/,
  ],
  [
    "an operator whose app is not an operator app",
    edit('"service": "Demonet TV"', '"service": "Flix"'),
    /line \d+, operators\[0\]\.service: expected the id of a service of kind operator, got "Flix"$/,
  ],
  [
    "a regional channel outside every province",
    edit(/"province": "East Flanders"\n {4}\}/, '"province": "Limburg"\n    }'),
    /line \d+, channels\[4\]\.province: expected a province of one of the cities \(East Flanders\), got "Limburg"$/,
  ],
  [
    "an added event type with a built-in name",
    edit(
      /\n}\s*$/,
      ',\n  "eventTypes": [\n    { "name": "heartbeat", "during": "play", "perHour": 1, "fields": {} }\n  ]\n}\n',
    ),
    /line \d+, eventTypes\[0\]\.name: expected a name that is not a built-in event type or field, got "heartbeat"$/,
  ],
  [
    "a field drawn from an unknown faker method",
    edit(
      /\n}\s*$/,
      ',\n  "eventTypes": [\n    { "name": "vote", "during": "tune", "perHour": 1, "fields": { "who": { "faker": "person.shoeSize" } } }\n  ]\n}\n',
    ),
    /line \d+, eventTypes\[0\]\.fields\.who: expected how the field is drawn: .*got an object$/,
  ],
  [
    "households in a region without a city",
    edit(
      /"WAL": \{\n {6}"households": 0,/,
      '"WAL": {\n      "households": 0.3,',
    ),
    /line \d+, regions\.WAL\.households: expected 0, or a city with regionCode "WAL", got 0\.3$/,
  ],
];

for (const [kind, text, message] of MISTAKES) {
  Deno.test(`parseScenario(): ${kind} is one line naming its line and path`, () => {
    assert.throws(() => parseScenario("s.json", text), (error: Error) => {
      assert.equal(error.name, "ScenarioError");
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, /^Cannot use scenario "s\.json": line \d+/);
      assert.match(error.message, message);
      return true;
    });
  });
}

Deno.test("parseScenario(): the line named is the mistake's", () => {
  const text = edit('"ads": "commercial"', '"ads": "some"');
  const line = text.split("\n").findIndex((l) => l.includes('"some"')) + 1;
  assert.throws(
    () => parseScenario("s.json", text),
    new RegExp(`line ${line}, channels`),
  );
});

Deno.test("tvstream with a bad scenario file or incident target: one line on stderr, exit 2, no output", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(
    `${tmp.path}/bad.json`,
    edit('"ads": "commercial"', '"ads": "some"'),
  );
  for (
    const args of [
      ["sample", "--scenario", "bad.json"],
      ["run", "--scenario", "bad.json", "--from", "2026-11-02"],
      ["scenario", "--scenario", "bad.json"],
      ["validate", "--scenario", "missing.json", "x.jsonl"],
      [
        "run",
        "--incident",
        "cdn_outage cdn=Nope at=20:00",
        "--from",
        "2026-11-02",
      ],
    ]
  ) {
    const r = await tvstream(args, { cwd: tmp.path });
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      /^tvstream: Cannot use (scenario "(bad|missing)\.json": |--incident cdn_outage: no cdn "Nope" in the scenario \(known: .*Akamai)/,
    );
  }
  assert.equal(await exists(`${tmp.path}/warehouse`), false, "nothing written");
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Belgium plus a channel, and a service that carries it live and on demand. */
function extended(): World {
  const w = structuredClone(WORLD) as World;
  w.name = "belgium-plus";
  w.channels.push({
    id: "DEMOTV",
    name: "Demo TV",
    language: "nl",
    owner: "Demo",
    ads: "commercial",
    weight: 400,
  });
  w.services.push({
    id: "Demo Play",
    kind: "broadcaster",
    vodAds: true,
    liveAds: true,
    lineup: "DEMOTV",
    weight: 60,
    language: "nl",
    cdns: { "Demo CDN": 1 },
    catalog: 500,
    prefix: "DEMO",
  });
  w.eventTypes = [{
    name: "subtitle_toggle",
    during: "app",
    perHour: 6,
    fields: {
      subtitleLanguage: { choice: ["nl", "fr", "en", "off"] },
      fontScale: { uniform: [0.8, 1.6] },
      remoteLatencyMs: { lognormal: [300, 0.5], integer: true },
      voiceControl: { choice: [true, false] },
      viewerName: { faker: "person.firstName" },
    },
  }];
  return w;
}

Deno.test("a scenario with a new channel, service and event type: same bytes per seed, lands in Parquet with new columns, DuckDB reads it, validate passes with it", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(
    `${tmp.path}/plus.json`,
    JSON.stringify(extended(), null, 2),
  );
  const window = [
    "--from",
    "2026-11-02T18:00:00Z",
    "--to",
    "2026-11-02T21:00:00Z",
    "--households",
    "60",
  ];
  const sample = (extra: string[]) =>
    tvstream(["sample", "-n", "10000000", ...window, ...extra], {
      cwd: tmp.path,
    });
  const [a, b, plain] = await Promise.all([
    sample(["--scenario", "plus.json"]),
    sample(["--scenario", "plus.json"]),
    sample([]),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout, "same scenario and seed, same bytes");
  assert.notEqual(a.stdout, plain.stdout);
  assert.match(a.stdout, /"channelId":"DEMOTV"/);

  const run = await tvstream([
    "run",
    ...window,
    "--rate",
    "0",
    "--scenario",
    "plus.json",
    "--quiet",
  ], { cwd: tmp.path });
  assert.equal(run.code, 0, run.stderr);
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const rows = (await con.runAndReadAll(
      `SELECT count(*), count(*) FILTER (channelId = 'DEMOTV'), count(*) FILTER (serviceId = 'Demo Play'), count(DISTINCT contentId) FILTER (contentId LIKE 'DEMO_%') FROM read_parquet('${tmp.path}/warehouse/tv_events/*/*.parquet')`,
    )).getRows();
    const [total, channel, service, titles] = rows[0]!.map(Number);
    assert.equal(total, a.stdout.trim().split("\n").length);
    assert.ok(channel! > 100, `DEMOTV rows ${channel}`);
    assert.ok(service! > 100, `Demo Play rows ${service}`);
    assert.ok(titles! > 0, "Demo Play's own titles");
    const added = (await con.runAndReadAll(
      `SELECT count(*), count(DISTINCT subtitleLanguage), min(fontScale), max(fontScale), typeof(any_value(remoteLatencyMs)), typeof(any_value(voiceControl)), count(DISTINCT viewerName), count(*) FILTER (playbackSessionId IS NULL) FROM read_parquet('${tmp.path}/warehouse/tv_events/*/*.parquet') WHERE event = 'subtitle_toggle'`,
    )).getRows()[0]!;
    const sampled = a.stdout.split("\n").filter((l) =>
      l.startsWith('{"event":"subtitle_toggle"')
    );
    assert.ok(sampled.length > 50, `${sampled.length} subtitle_toggle`);
    assert.equal(Number(added[0]), sampled.length);
    assert.equal(Number(added[1]), 4);
    assert.ok(Number(added[2]) >= 0.8 && Number(added[3]) <= 1.6);
    assert.deepEqual([added[4], added[5]], ["INTEGER", "BOOLEAN"]);
    assert.ok(Number(added[6]) > 10, "faker first names");
    assert.equal(Number(added[7]), 0, "each belongs to a play or tune");
  } finally {
    con.closeSync();
    db.closeSync();
  }
  const withIt = await tvstream([
    "validate",
    "--scenario",
    "plus.json",
    "--json",
  ], {
    cwd: tmp.path,
  });
  const report = JSON.parse(withIt.stdout);
  for (const [rule, v] of Object.entries(report.violations)) {
    assert.equal((v as { count: number }).count, 0, rule);
  }
  const without = JSON.parse(
    (await tvstream(["validate", "--json"], { cwd: tmp.path })).stdout,
  );
  assert.ok(
    without.violations.lineup.count > 0,
    "DEMOTV is in no Belgian line-up",
  );
  assert.ok(
    without.violations.schema.count > 0,
    "subtitle_toggle is no built-in type",
  );
});

Deno.test("a run resumed with another scenario is refused; the same one resumes", async () => {
  await using tmp = await withTmpDir();
  const args = (scenario: string, to: string) => [
    "run",
    "--from",
    "2026-11-02T18:00:00Z",
    "--to",
    to,
    "--households",
    "30",
    "--rate",
    "0",
    "--scenario",
    scenario,
    "--quiet",
  ];
  const first = await tvstream(args("demo", "2026-11-02T19:00:00Z"), {
    cwd: tmp.path,
  });
  assert.equal(first.code, 0, first.stderr);
  const other = await tvstream(args("belgium", "2026-11-02T19:00:00Z"), {
    cwd: tmp.path,
  });
  assert.equal(other.code, 1);
  assert.match(
    other.stderr,
    /Cannot resume from checkpoint ".*": it was written with other .*--scenario.* flags/,
  );
  const same = await tvstream(args("demo", "2026-11-02T19:00:00Z"), {
    cwd: tmp.path,
  });
  assert.equal(same.code, 0, same.stderr);
});

Deno.test("a scenario's incidents happen in the stream, and validate given the scenario measures them", async () => {
  await using tmp = await withTmpDir();
  const world = structuredClone(WORLD) as World;
  world.incidents = [
    { kind: "ad_server_down", at: "19:00", for: "2h", severity: 1 },
  ];
  await Deno.writeTextFile(`${tmp.path}/ads.json`, JSON.stringify(world));
  const s = await tvstream([
    "sample",
    "-n",
    "10000000",
    "--scenario",
    "ads.json",
    "--households",
    "80",
    "--from",
    "2026-11-02T16:00:00Z",
    "--to",
    "2026-11-02T22:00:00Z",
  ], { cwd: tmp.path });
  assert.equal(s.code, 0, s.stderr);
  await Deno.writeTextFile(`${tmp.path}/s.jsonl`, s.stdout);
  assert.match(s.stdout, /"errorCode":"ADS-503"/);
  const v = await tvstream(["validate", "--scenario", "ads.json", "s.jsonl"], {
    cwd: tmp.path,
  });
  assert.match(
    v.stdout,
    /\nok {2}ad_server_down at=2026-11-02T18:00Z for=120m severity=1\n {4}on-demand ad breaks failed \(ADS-503\): 100\.0% inside/,
  );
  assert.equal(v.code, 0, v.stdout);
});

Deno.test("a scenario incident naming no CDN of the scenario is one line with its line", () => {
  const text = edit(
    /\n}\s*$/,
    ',\n  "incidents": [\n    { "kind": "cdn_outage", "cdn": "Akamaii", "at": "20:00" }\n  ]\n}\n',
  );
  const line = text.split("\n").findIndex((l) => l.includes("Akamaii")) + 1;
  assert.throws(
    () => parseScenario("s.json", text),
    new RegExp(
      `^ScenarioError: Cannot use scenario "s.json": line ${line}, incidents\\[0\\]: no cdn "Akamaii" in the scenario \\(known: Demonet CDN, Akamai, Flix Edge\\)$`,
    ),
  );
});

Deno.test("a YAML scenario is the same scenario as its JSON; a YAML mistake names its line", async () => {
  const yaml = stringify(JSON.parse(DEMO));
  const demo = await loadScenario("demo");
  assert.deepEqual(parseScenario("demo.yaml", yaml), demo.world);
  const bad = yaml.replace("ads: commercial", "ads: some");
  const line = bad.split("\n").findIndex((l) => l.includes("ads: some")) + 1;
  assert.throws(
    () => parseScenario("demo.yaml", bad),
    new RegExp(
      `^ScenarioError: Cannot use scenario "demo.yaml": line ${line}, channels\\[1\\]\\.ads: expected one of "none", "commercial", got "some"$`,
    ),
  );
  assert.throws(
    () => parseScenario("x.yml", "name: x\n  description: [a\n"),
    /^ScenarioError: Cannot use scenario "x\.yml": line \d+: not valid YAML: /,
  );
});

Deno.test("deno task dev reads a YAML scenario with the permissions the binary has", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(
    `${tmp.path}/demo.yaml`,
    stringify(JSON.parse(DEMO)),
  );
  const out = await new Deno.Command("deno", {
    args: [
      "task",
      "-q",
      "dev",
      "scenario",
      "--scenario",
      `${tmp.path}/demo.yaml`,
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /^scenario ".*demo\.yaml" \(demo\) is valid: /);
});

Deno.test("scenario --event-schema: the JSON Schema of the scenario's stream holds its own type, and its events match it", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(`${tmp.path}/plus.json`, JSON.stringify(extended()));
  const r = await tvstream(
    ["scenario", "--scenario", "plus.json", "--event-schema"],
    { cwd: tmp.path },
  );
  assert.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(r.stdout);
  const own = schema.oneOf.find((o: { title: string }) =>
    o.title === "subtitle_toggle"
  );
  assert.ok(own, "subtitle_toggle in the schema");
  assert.deepEqual(
    ["fontScale", "remoteLatencyMs", "voiceControl", "viewerName"].map((f) =>
      own.properties[f].type
    ),
    ["number", "integer", "boolean", "string"],
  );
  const s = await tvstream([
    "sample",
    "-n",
    "200",
    "--scenario",
    "plus.json",
    "--households",
    "80",
    "--from",
    "2026-11-02T19:00:00Z",
  ], { cwd: tmp.path });
  const events = s.stdout.trim().split("\n").map((l) => JSON.parse(l))
    .filter((e) => e.event === "subtitle_toggle");
  assert.ok(events.length > 0);
  for (const e of events) {
    for (const k of own.required) assert.ok(k in e, `${k} missing`);
    for (const k of Object.keys(e)) assert.ok(k in own.properties, k);
  }
});

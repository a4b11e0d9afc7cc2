import assert from "node:assert/strict";
import { commandHelp, COMMANDS, parseConfig } from "../src/config.ts";
import { type Command, FLAGS } from "../src/cli/flags.ts";
import { config } from "./_helpers.ts";

Deno.test("parseConfig() defaults to the embedded run with the demo's names", () => {
  const c = config([]);
  assert.equal(c.command, "run");
  assert.equal(c.topic, "tv_events");
  assert.equal(c.kafka, undefined);
  assert.equal(c.sink.warehouse, "./warehouse");
  assert.equal(c.sink.checkpoint, "./chk/tv_events");
  assert.equal(c.sink.group, "tvstream-tv_events");
  assert.equal(c.generator.seed, 42);
  assert.equal(c.generator.rate, undefined);
  assert.equal(c.sink.compression, "snappy");
  assert.equal(c.headers, "all");
});

Deno.test("parseConfig() reads every flag it is given for run", () => {
  const c = config([
    "run",
    "--bootstrap",
    "localhost:9092,b2:9093",
    "--topic",
    "x",
    "--rate",
    "2",
    "--events",
    "10",
    "--duration",
    "5",
    "--seed",
    "7",
    "--households",
    "30",
    "--from",
    "2026-11-01",
    "--to",
    "2026-11-02T12:00:00Z",
    "--warehouse",
    "/tmp/w",
    "--checkpoint",
    "/tmp/c",
    "--group",
    "g",
    "--until-idle",
    "3",
  ]);
  assert.deepEqual(c.kafka?.brokers, ["localhost:9092", "b2:9093"]);
  assert.equal(c.topic, "x");
  assert.equal(c.generator.rate, 2);
  assert.equal(c.generator.events, 10);
  assert.equal(c.generator.durationSec, 5);
  assert.equal(c.generator.seed, 7);
  assert.equal(c.generator.households, 30);
  assert.equal(c.generator.fromMs, Date.parse("2026-11-01T00:00:00Z"));
  assert.equal(c.generator.toMs, Date.parse("2026-11-02T12:00:00Z"));
  assert.equal(c.sink.warehouse, "/tmp/w");
  assert.equal(c.sink.checkpoint, "/tmp/c");
  assert.equal(c.sink.group, "g");
  assert.equal(c.sink.untilIdleSec, 3);
});

/**
 * A valid value for every flag, unlike its default. Each flag, given to each
 * command that takes it, must change that command's parsed config: a flag
 * the parser accepts and then drops fails here.
 */
const SAMPLE_VALUES: Record<string, string | true> = {
  "bootstrap": "h:1",
  "http": "off",
  "topic": "other",
  "rate": "3",
  "events": "9",
  "duration": "4",
  "seed": "8",
  "households": "12",
  "shard": "2/4",
  "scenario": "demo",
  "incident": "cdn_outage cdn=Akamai at=20:00",
  "print": true,
  "event-schema": true,
  "from": "2026-11-01",
  "to": "2026-11-03",
  "warehouse": "/tmp/w2",
  "checkpoint": "/tmp/c2",
  "group": "g2",
  "until-idle": "2",
  "partitions": "6",
  "acks": "1",
  "compression": "gzip",
  "kafka-compression": "gzip",
  "headers": "seq",
  "max-file-rows": "77",
  "flush-interval": "3",
  "late-grace": "60",
  "on-data-loss": "skip",
  "ssl": true,
  "ssl-ca": "ca.pem",
  "ssl-cert": "cert.pem",
  "ssl-key": "key.pem",
  "sasl-mechanism": "plain",
  "sasl-username": "u",
  "sasl-password-file": "pw.txt",
  "connect-timeout": "7",
  "retry-timeout": "9",
  "session-timeout": "12",
  "count": "3",
  "pretty": true,
  "threads": "1",
  "json": true,
  "date": "2026-11-02",
  "quiet": true,
  "log-format": "json",
  "debug": true,
  "help": true,
  "version": true,
};

/** Flags a given flag needs beside it to be valid. */
function companions(flag: string, command: Command): string[] {
  const kafka = ["produce", "consume"].includes(command) ||
      flag.startsWith("ssl") || flag.startsWith("sasl") ||
      ["connect-timeout", "retry-timeout", "session-timeout"].includes(flag)
    ? ["--bootstrap", "h:1"]
    : [];
  // The commands that need Kafka get another broker first: the last wins.
  if (flag === "bootstrap") return kafka.length ? ["--bootstrap", "z:2"] : [];
  if (flag === "to") return [...kafka, "--from", "2026-11-01"];
  if (flag === "sasl-mechanism") return [...kafka, "--sasl-username", "u"];
  return kafka;
}

Deno.test("every flag changes the config of every command that takes it", () => {
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const value = SAMPLE_VALUES[flag];
    assert.ok(value !== undefined, `no sample value for --${flag}`);
    for (const command of spec.commands) {
      const base = [command, ...companions(flag, command)];
      const given = [
        ...base,
        `--${flag}`,
        ...(value === true || spec.switchIn?.[command] ? [] : [value]),
      ];
      const without = JSON.stringify(parseConfig(base));
      const withFlag = JSON.stringify(parseConfig(given));
      assert.notEqual(withFlag, without, `${given.join(" ")} changed nothing`);
    }
  }
});

Deno.test("--http: loopback 8787 by default (the next port if taken), a named address, or off", () => {
  assert.deepEqual(config(["run"]).http, {
    host: "127.0.0.1",
    port: 8787,
    explicit: false,
  });
  assert.deepEqual(config(["run", "--http", "9000"]).http, {
    host: "127.0.0.1",
    port: 9000,
    explicit: true,
  });
  assert.deepEqual(config(["run", "--http", "0.0.0.0:9001"]).http, {
    host: "0.0.0.0",
    port: 9001,
    explicit: true,
  });
  assert.deepEqual(config(["run", "--http", "[::1]:9002"]).http, {
    host: "::1",
    port: 9002,
    explicit: true,
  });
  assert.equal("http" in config(["run", "--http", "off"]), false);
});

Deno.test("parseConfig() defaults --to to one day after --from", () => {
  const c = config(["--from", "2026-11-01T06:00:00Z"]);
  assert.equal(c.generator.toMs! - c.generator.fromMs!, 86_400_000);
});

Deno.test("each command's config carries only its own settings", () => {
  const sample = parseConfig(["sample"]);
  assert.equal("kafka" in sample, false);
  assert.equal("sink" in sample, false);
  const schema = parseConfig(["schema"]);
  assert.deepEqual(Object.keys(schema).sort(), [
    "command",
    "help",
    "json",
    "output",
    "scenario",
    "version",
  ]);
  assert.equal("json" in config(["run"]), false);
});

const BAD: [string[], RegExp][] = [
  [["--nope"], /Unknown flag --nope/],
  [["bogus"], /Unknown command "bogus"/],
  [["--rate", "-1"], /--rate/],
  [["--rate", "fast"], /--rate/],
  [["--rate", "0"], /--rate 0 without --from/],
  [["--events", "0"], /--events 0: expected a number from 1/],
  [["--events", "1.5"], /--events: expected a whole number/],
  [["--seed", "x"], /--seed/],
  [["--households", "0"], /--households/],
  [
    ["sample", "--shard", "5/4"],
    /--shard "5\/4": expected K\/N with 1 <= K <= N/,
  ],
  [["sample", "--shard", "0/4"], /--shard "0\/4"/],
  [["sample", "--shard", "half"], /--shard "half"/],
  [["--duration", "-3"], /--duration/],
  [["--from", "yesterday"], /Cannot parse --from: expected an ISO date/],
  [["--from", "2026-02-30"], /not a real calendar date/],
  [
    ["--from", "2026-11-02", "--to", "2026-11-01"],
    /--to 2026-11-01 before or equal to --from/,
  ],
  [["--to", "2026-11-01"], /--to without --from/],
  [["--bootstrap", "localhost"], /--bootstrap: expected HOST:PORT/],
  [["--bootstrap", "host:99999"], /--bootstrap/],
  [["--topic", "bad topic"], /--topic/],
  [
    ["--compression", "zstd"],
    /--compression "zstd": expected one of snappy, gzip, none/,
  ],
  [["--log-format", "xml"], /--log-format/],
  [["--http", "nope"], /--http: expected off, PORT or HOST:PORT, got "nope"/],
  [["--http", "127.0.0.1:70000"], /--http: expected off, PORT or HOST:PORT/],
  [["--headers", "none"], /--headers "none": expected one of all, seq/],
  [["--pretty"], /Unknown flag --pretty for "tvstream run"/],
  [["--warehouse"], /Missing value for --warehouse/],
  [["produce"], /Missing --bootstrap/],
  [["consume"], /Missing --bootstrap/],
  [["sample", "extra"], /Unexpected argument "extra"/],
  [
    ["produce", "--bootstrap", "h:1", "--sasl-mechanism", "plain"],
    /--sasl-mechanism without --sasl-username/,
  ],
  [[
    "produce",
    "--bootstrap",
    "h:1",
    "--sasl-mechanism",
    "md5",
    "--sasl-username",
    "u",
  ], /--sasl-mechanism "md5"/],
  [["run", "--on-data-loss", "ignore"], /--on-data-loss/],
  [["compact", "--date", "11/02/2026"], /--date/],
];

for (const [args, pattern] of BAD) {
  Deno.test(`parseConfig() rejects ${args.join(" ")}`, () => {
    assert.throws(
      () => parseConfig(args),
      (error: unknown) =>
        (error instanceof TypeError || error instanceof RangeError) &&
        pattern.test(error.message) && !error.message.includes("\n"),
    );
  });
}

Deno.test("commandHelp() lists only the flags each subcommand takes", () => {
  for (const c of COMMANDS) {
    assert.match(commandHelp(c), new RegExp(`^tvstream ${c}:`));
  }
  assert.match(commandHelp("sample"), /--pretty/);
  assert.doesNotMatch(commandHelp("sample"), /--bootstrap/);
  assert.match(commandHelp("consume"), /--until-idle/);
});

Deno.test("parseConfig() takes the produce codec from --compression", () => {
  assert.equal(
    config(["produce", "--bootstrap", "h:1", "--compression", "gzip"])
      .kafkaCompression,
    "gzip",
  );
  assert.throws(
    () =>
      parseConfig(["produce", "--bootstrap", "h:1", "--compression", "snappy"]),
    RangeError,
  );
});

Deno.test("parseConfig() refuses topics Kafka refuses, '.' and '..' among them, which would write outside the warehouse", () => {
  for (const topic of [".", "..", "a/b", "", "x".repeat(250)]) {
    assert.throws(
      () => parseConfig(["run", "--topic", topic]),
      /Cannot use --topic/,
      topic,
    );
  }
  assert.equal(config(["run", "--topic", "a.b_c-1"]).topic, "a.b_c-1");
});

Deno.test("parseConfig() reads --retry-timeout (default 300 s) for Kafka commands", () => {
  const b = ["--bootstrap", "localhost:9092"];
  assert.equal(config(["run", ...b]).kafka?.retryTimeoutMs, 300_000);
  assert.equal(
    config(["consume", ...b, "--retry-timeout", "45"]).kafka?.retryTimeoutMs,
    45_000,
  );
  assert.throws(
    () => parseConfig(["run", ...b, "--retry-timeout", "soon"]),
    /Cannot parse --retry-timeout/,
  );
});

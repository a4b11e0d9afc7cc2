/**
 * The parsed command line: one typed configuration per command, so that
 * each command carries only its own settings (`sample` has no Kafka, the
 * pipeline has no `--json`).
 *
 * Pure: no I/O, no `Deno.*`. Bad usage throws `TypeError` (unknown flag,
 * missing value) or `RangeError` (a value out of range); `main.ts` prints the
 * message and exits 2. The flag table and help are in src/cli/flags.ts.
 *
 * @module
 */
import { type RawArgs, readArgs } from "./cli/flags.ts";
import type { World } from "./world/world.ts";
import { type IncidentSpec, parseIncident } from "./world/incidents.ts";
import {
  checkDate,
  type HttpSettings,
  int,
  oneOf,
  parseBrokers,
  parseHttp,
  parseInstant,
  seconds,
} from "./cli/values.ts";

export { type Command, commandHelp, COMMANDS, helpText } from "./cli/flags.ts";
export { type HttpSettings, parseInstant } from "./cli/values.ts";

/** Kafka wire compression codecs kafkajs supports without plugins. */
export type KafkaCompression = "none" | "gzip";
/** Parquet codecs the warehouse can write. */
export type ParquetCompression = "snappy" | "gzip" | "none";
/** Record headers: `event`, `schema` and `seq`, or `seq` alone. */
export type RecordHeaders = "seq" | "all";
/** SASL mechanisms kafkajs supports. */
export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** Connection settings for a real Kafka cluster; secrets are never here. */
export interface KafkaSettings {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Use TLS. */
  ssl: boolean;
  /** PEM files for TLS (paths, read by the adapter). */
  sslCa?: string;
  sslCert?: string;
  sslKey?: string;
  /** SASL mechanism and user; the password comes from the environment or a file. */
  saslMechanism?: SaslMechanism;
  saslUsername?: string;
  saslPasswordFile?: string;
  /** Give up connecting after this many milliseconds. */
  connectTimeoutMs: number;
  /** Consumer group session timeout: how fast a dead consumer's partitions move. */
  sessionTimeoutMs: number;
  /**
   * How long a transient broker condition (a broker down, a leader moving,
   * a rebalance) is waited out before it becomes an error.
   */
  retryTimeoutMs: number;
}

/** Everything the generator needs to produce a stream. */
export interface GeneratorSettings {
  seed: number;
  /** Households simulated; `undefined` = sized from `rate` or the default. */
  households?: number;
  /** Simulated window start (ms since epoch); `undefined` = live from now. */
  fromMs?: number;
  /** Simulated window end, exclusive (ms since epoch). */
  toMs?: number;
  /** Events per second; 0 = as fast as possible (backfill only); undefined = natural pace. */
  rate?: number;
  /** Stop after this many events. */
  events?: number;
  /** Stop after this many seconds of wall time. */
  durationSec?: number;
  /** Only the households of slice `index` (0-based) of `count` (`--shard K/N`). */
  shard?: Shard;
  /** `--scenario`: a built-in scenario's name or a scenario file's path. */
  scenario?: string;
  /**
   * The scenario's world and hash, loaded by main.ts before any work
   * starts (absent: the built-in Belgian world).
   */
  world?: World;
  scenarioHash?: string;
  /** `--incident`s, then the scenario's (added by main.ts). */
  incidents?: IncidentSpec[];
}

/** One of `count` disjoint slices of the population: households h with h % count == index. */
export interface Shard {
  index: number;
  count: number;
}

/** Consumer / warehouse settings. */
export interface SinkSettings {
  warehouse: string;
  checkpoint: string;
  group: string;
  maxFileRows: number;
  flushIntervalSec: number;
  lateGraceSec: number;
  compression: ParquetCompression;
  untilIdleSec?: number;
  onDataLoss: "fail" | "skip";
}

/** Output and diagnostics settings shared by every subcommand. */
export interface OutputSettings {
  quiet: boolean;
  logFormat: "text" | "json";
  debug: boolean;
}

/** What every command has. */
export interface CommonConfig {
  /** `--help` was given: print the subcommand's help and exit 0. */
  help: boolean;
  /** `--version` was given. */
  version: boolean;
  output: OutputSettings;
}

/** `run`, `produce` and `consume`: what the workers are started with. */
export interface PipelineConfig extends CommonConfig {
  command: "run" | "produce" | "consume";
  topic: string;
  partitions: number;
  acks: -1 | 0 | 1;
  kafkaCompression: KafkaCompression;
  /** Which headers produced records carry (`seq` is always there). */
  headers: RecordHeaders;
  kafka?: KafkaSettings;
  generator: GeneratorSettings;
  sink: SinkSettings;
  /** The live view's address; absent with `--http off`. */
  http?: HttpSettings;
}

/** `sample`: N events of a generated stream, on stdout. */
export interface SampleConfig extends CommonConfig {
  command: "sample";
  generator: GeneratorSettings;
  count: number;
  pretty: boolean;
  /** `--threads`: sampler workers; undefined = one per core for a large sample. */
  threads?: number;
}

/** `inspect`: a warehouse's summary, with the broker's lag when given Kafka. */
export interface InspectConfig extends CommonConfig {
  command: "inspect";
  topic: string;
  kafka?: KafkaSettings;
  sink: SinkSettings;
  json: boolean;
}

/** `validate`: a warehouse, a JSON-lines file or stdin, checked. */
export interface ValidateConfig extends CommonConfig {
  command: "validate";
  topic: string;
  sink: SinkSettings;
  json: boolean;
  /** Input file, `-` for stdin; absent = the warehouse. */
  input?: string;
  /** `--scenario` the events were simulated in. */
  scenario?: string;
  /** Its world, loaded by main.ts. */
  world?: World;
  /** `--incident`s (and the scenario's): judged apart from the KPIs. */
  incidents?: IncidentSpec[];
}

/** `schema`: the event JSON Schema and the Parquet schema. */
export interface SchemaConfig extends CommonConfig {
  command: "schema";
  json: boolean;
  /** `--scenario`: the scenario file's JSON Schema instead. */
  scenario: boolean;
}

/** `scenario`: check a scenario, or print it. */
export interface ScenarioConfig extends CommonConfig {
  command: "scenario";
  scenario: string;
  print: boolean;
  /** Print the event JSON Schema with the scenario's own event types. */
  eventSchema: boolean;
}

/** `compact`: a closed day's small files merged. */
export interface CompactConfig extends CommonConfig {
  command: "compact";
  topic: string;
  sink: SinkSettings;
  /** A day to compact even if not closed. */
  date?: string;
}

/** The parsed command line, by command. */
export type Config =
  | PipelineConfig
  | SampleConfig
  | InspectConfig
  | ValidateConfig
  | SchemaConfig
  | ScenarioConfig
  | CompactConfig;

/**
 * Returns `config`, refusing `--threads` above 1 where a sample cannot be
 * split: it is merged back by event time from `--from`, line by line.
 */
function sampleConfig(config: SampleConfig): SampleConfig {
  if ((config.threads ?? 1) > 1) {
    const g = config.generator;
    const clash = g.fromMs === undefined
      ? "without --from"
      : config.pretty
      ? "with --pretty"
      : g.shard
      ? "with --shard"
      : undefined;
    if (clash) {
      throw new RangeError(
        `Cannot use --threads ${config.threads} ${clash}: a sample is split across threads only with --from, and without --pretty or --shard`,
      );
    }
  }
  return config;
}

/** Default topic, as in the Python demo tvstream grew out of. */
export const DEFAULT_TOPIC = "tv_events";
/** Default number of simulated households. */
export const DEFAULT_HOUSEHOLDS = 1000;

/** Parses command-line arguments into the command's {@linkcode Config}. */
export function parseConfig(args: readonly string[]): Config {
  const a = readArgs(args);
  const base: CommonConfig = {
    help: a.bool("help"),
    version: a.bool("version"),
    output: outputSettings(a),
  };
  const command = a.command;
  switch (command) {
    case "sample":
      return sampleConfig({
        command,
        ...base,
        generator: generatorSettings(a),
        count: int(a.str("count"), "count", 0) ?? 5,
        pretty: a.bool("pretty"),
        threads: int(a.str("threads"), "threads", 1, 64),
      });
    case "schema":
      return {
        command,
        ...base,
        json: a.bool("json"),
        scenario: a.bool("scenario"),
      };
    case "scenario":
      return {
        command,
        ...base,
        scenario: a.str("scenario") ?? "belgium",
        print: a.bool("print"),
        eventSchema: a.bool("event-schema"),
      };
    case "inspect": {
      const topic = topicOf(a);
      const kafka = kafkaSettings(a, base.help);
      return {
        command,
        ...base,
        topic,
        ...(kafka ? { kafka } : {}),
        sink: sinkSettings(a, topic),
        json: a.bool("json"),
      };
    }
    case "validate": {
      const topic = topicOf(a);
      const input = a.positionals[0];
      return {
        command,
        ...base,
        topic,
        sink: sinkSettings(a, topic),
        json: a.bool("json"),
        ...(input !== undefined ? { input } : {}),
        ...(a.str("scenario") !== undefined
          ? { scenario: a.str("scenario")! }
          : {}),
        ...incidentsOf(a),
      };
    }
    case "compact": {
      const topic = topicOf(a);
      const date = a.str("date");
      return {
        command,
        ...base,
        topic,
        sink: sinkSettings(a, topic),
        ...(date !== undefined ? { date: checkDate(date) } : {}),
      };
    }
    default:
      return pipelineConfig(a, command, base);
  }
}

/** `run`, `produce`, `consume`. */
function pipelineConfig(
  a: RawArgs,
  command: PipelineConfig["command"],
  base: CommonConfig,
): PipelineConfig {
  const kafka = kafkaSettings(a, base.help);
  const topic = topicOf(a);
  const acks = oneOf(
    a.str("acks"),
    "acks",
    ["all", "-1", "1", "0"] as const,
    "all",
  );
  return {
    command,
    ...base,
    topic,
    partitions: int(a.str("partitions"), "partitions", 1, 10_000) ?? 4,
    acks: acks === "all" ? -1 : (Number(acks) as -1 | 0 | 1),
    kafkaCompression: command === "produce"
      ? oneOf(
        a.str("compression"),
        "compression",
        ["none", "gzip"] as const,
        "none",
      )
      : oneOf(
        a.str("kafka-compression"),
        "kafka-compression",
        ["none", "gzip"] as const,
        "none",
      ),
    headers: oneOf(a.str("headers"), "headers", ["all", "seq"] as const, "all"),
    ...(kafka ? { kafka } : {}),
    generator: generatorSettings(a),
    sink: sinkSettings(a, topic),
    ...optionalHttp(a.str("http")),
  };
}

/** `--http`, as a config part: nothing with `--http off`. */
function optionalHttp(raw: string | undefined): { http?: HttpSettings } {
  const http = parseHttp(raw);
  return http ? { http } : {};
}

/** `--topic`: a Kafka topic name, also the table's directory. */
function topicOf(a: RawArgs): string {
  const topic = a.str("topic") ?? DEFAULT_TOPIC;
  // "." and ".." are legal characters but not topics (Kafka refuses them),
  // and as a table name they would put files outside the warehouse.
  if (
    !/^[A-Za-z0-9._-]{1,249}$/.test(topic) || topic === "." || topic === ".."
  ) {
    throw new RangeError(
      `Cannot use --topic "${topic}": expected letters, digits, '.', '_' or '-' (Kafka topic rules)`,
    );
  }
  return topic;
}

/** The simulated window, rate and population. */
function generatorSettings(a: RawArgs): GeneratorSettings {
  const { fromMs, toMs } = windowOf(a);
  const rate = rateOf(a, fromMs);
  const households = int(a.str("households"), "households", 1, 10_000_000);
  const events = int(a.str("events"), "events", 1);
  const durationSec = seconds(a.str("duration"), "duration");
  const shard = shardOf(a.str("shard"));
  const scenario = a.str("scenario");
  return {
    seed: int(a.str("seed"), "seed", 0, 2 ** 32 - 1) ?? 42,
    ...(scenario !== undefined ? { scenario } : {}),
    ...incidentsOf(a),
    ...(shard !== undefined ? { shard } : {}),
    ...(households !== undefined ? { households } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(events !== undefined ? { events } : {}),
    ...(durationSec !== undefined ? { durationSec } : {}),
  };
}

/** `--incident`s, if any. */
function incidentsOf(a: RawArgs): { incidents?: IncidentSpec[] } {
  const list = a.list("incident").map(parseIncident);
  return list.length > 0 ? { incidents: list } : {};
}

/** `--shard K/N`: the K-th (1-based) of N slices. */
function shardOf(raw: string | undefined): Shard | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && n <= 1024 && k >= 1 && k <= n)) {
    throw new RangeError(
      `Cannot use --shard "${raw}": expected K/N with 1 <= K <= N <= 1024, e.g. 2/4`,
    );
  }
  return { index: k - 1, count: n };
}

/** `--from` and `--to` (a day after `--from` by default). */
function windowOf(a: RawArgs): { fromMs?: number; toMs?: number } {
  const fromRaw = a.str("from");
  const toRaw = a.str("to");
  const fromMs = fromRaw === undefined
    ? undefined
    : parseInstant(fromRaw, "from");
  let toMs = toRaw === undefined ? undefined : parseInstant(toRaw, "to");
  if (toMs !== undefined && fromMs === undefined) {
    throw new RangeError("Cannot use --to without --from: give both");
  }
  if (fromMs !== undefined && toMs === undefined) toMs = fromMs + 86_400_000;
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) {
    throw new RangeError(
      `Cannot use --to ${toRaw} before or equal to --from ${fromRaw}: expected --to after --from`,
    );
  }
  return { ...(fromMs !== undefined ? { fromMs, toMs } : {}) };
}

/** `--rate`: events per second; 0 needs a simulated window. */
function rateOf(a: RawArgs, fromMs: number | undefined): number | undefined {
  const rateRaw = a.str("rate");
  if (rateRaw === undefined) return undefined;
  const rate = Number(rateRaw);
  if (!Number.isFinite(rate) || rate < 0 || rate > 10_000_000) {
    throw new RangeError(
      `Cannot parse --rate: expected events per second from 0 to 10000000, got "${rateRaw}"`,
    );
  }
  if (rate === 0 && fromMs === undefined) {
    throw new RangeError(
      "Cannot use --rate 0 without --from: live timestamps follow the wall clock, so 'as fast as possible' needs a simulated window (--from/--to)",
    );
  }
  return rate;
}

/** Kafka connection settings, or undefined without `--bootstrap`. */
function kafkaSettings(a: RawArgs, help: boolean): KafkaSettings | undefined {
  const bootstrap = a.str("bootstrap");
  if (bootstrap === undefined) {
    if ((a.command === "produce" || a.command === "consume") && !help) {
      throw new TypeError(
        `Missing --bootstrap: "tvstream ${a.command}" talks to Kafka; use "tvstream run" for the embedded pipeline`,
      );
    }
    return undefined;
  }
  const mechanism = a.str("sasl-mechanism");
  const username = a.str("sasl-username");
  if (mechanism && !username) {
    throw new RangeError(
      "Cannot use --sasl-mechanism without --sasl-username: give the user name",
    );
  }
  const optional = (flag: string, key: keyof KafkaSettings) => {
    const value = a.str(flag);
    return value ? { [key]: value } : {};
  };
  return {
    brokers: parseBrokers(bootstrap),
    ssl: a.bool("ssl") || a.str("ssl-ca") !== undefined,
    connectTimeoutMs:
      (seconds(a.str("connect-timeout"), "connect-timeout") ?? 30) * 1000,
    sessionTimeoutMs:
      (int(a.str("session-timeout"), "session-timeout", 6, 300) ?? 30) * 1000,
    retryTimeoutMs: (seconds(a.str("retry-timeout"), "retry-timeout") ?? 300) *
      1000,
    ...optional("ssl-ca", "sslCa"),
    ...optional("ssl-cert", "sslCert"),
    ...optional("ssl-key", "sslKey"),
    ...(mechanism
      ? {
        saslMechanism: oneOf(
          mechanism,
          "sasl-mechanism",
          ["plain", "scram-sha-256", "scram-sha-512"] as const,
          "plain",
        ),
      }
      : {}),
    ...optional("sasl-username", "saslUsername"),
    ...optional("sasl-password-file", "saslPasswordFile"),
  };
}

/** Where the table and checkpoints go, and how the consumer writes. */
function sinkSettings(a: RawArgs, topic: string): SinkSettings {
  const untilIdleSec = seconds(a.str("until-idle"), "until-idle");
  return {
    warehouse: a.str("warehouse") ?? "./warehouse",
    checkpoint: a.str("checkpoint") ?? `./chk/${topic}`,
    group: a.str("group") ?? `tvstream-${topic}`,
    // 10,000 rows: 50,000 ran slower with far more peak RSS (V8 handles
    // the smaller column arrays more cheaply), for files only slightly
    // smaller; closed days are compacted anyway.
    maxFileRows: int(a.str("max-file-rows"), "max-file-rows", 1, 5_000_000) ??
      10_000,
    flushIntervalSec: seconds(a.str("flush-interval"), "flush-interval") ?? 10,
    lateGraceSec: seconds(a.str("late-grace"), "late-grace") ?? 3600,
    compression: a.command === "produce" ? "snappy" : oneOf(
      a.str("compression"),
      "compression",
      ["snappy", "gzip", "none"] as const,
      "snappy",
    ),
    onDataLoss: oneOf(
      a.str("on-data-loss"),
      "on-data-loss",
      ["fail", "skip"] as const,
      "fail",
    ),
    ...(untilIdleSec !== undefined ? { untilIdleSec } : {}),
  };
}

/** Log format and verbosity. */
function outputSettings(a: RawArgs): OutputSettings {
  return {
    quiet: a.bool("quiet"),
    logFormat: oneOf(
      a.str("log-format"),
      "log-format",
      ["text", "json"] as const,
      "text",
    ),
    debug: a.bool("debug"),
  };
}

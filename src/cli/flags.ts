/**
 * The command line's vocabulary: every flag with the commands that take it
 * and its help line, the help texts, and reading `Deno.args` into a command
 * and raw flag values (node:util's parseArgs), with one-line errors.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The subcommands tvstream understands. */
export const COMMANDS = [
  "run",
  "sample",
  "produce",
  "consume",
  "inspect",
  "validate",
  "schema",
  "scenario",
  "compact",
] as const;

/** One subcommand name. */
export type Command = typeof COMMANDS[number];

/** Whether a flag takes a value, or one value each time it is given. */
export type FlagKind = "string" | "boolean" | "list";
/** One flag: its kind, short form, value name, help and commands. */
export interface FlagSpec {
  kind: FlagKind;
  short?: string;
  value?: string;
  help: string;
  commands: readonly Command[];
  /** Commands where it is a switch instead, with this help line. */
  switchIn?: Partial<Record<Command, string>>;
}

const GEN: readonly Command[] = ["run", "sample", "produce"];
const KAFKA: readonly Command[] = ["run", "produce", "consume", "inspect"];
const SINK: readonly Command[] = ["run", "consume"];
const ALL: readonly Command[] = COMMANDS;

/** Every flag, which subcommands take it, and its help line. */
export const FLAGS: Record<string, FlagSpec> = {
  "bootstrap": {
    kind: "string",
    value: "HOST:PORT[,...]",
    help: "Kafka bootstrap brokers (absent = embedded transport)",
    commands: KAFKA,
  },
  "topic": {
    kind: "string",
    value: "NAME",
    help: "topic / table name (default tv_events)",
    commands: ["run", "produce", "consume", "inspect", "compact"],
  },
  "rate": {
    kind: "string",
    value: "N",
    help: "events per second; 0 = as fast as possible (needs --from)",
    commands: GEN,
  },
  "events": {
    kind: "string",
    value: "N",
    help: "stop after N events",
    commands: GEN,
  },
  "duration": {
    kind: "string",
    value: "SECONDS",
    help: "stop after this much wall time",
    commands: ["run", "produce", "consume"],
  },
  "seed": {
    kind: "string",
    value: "N",
    help: "random seed; same flags + seed = same bytes (default 42)",
    commands: GEN,
  },
  "households": {
    kind: "string",
    value: "N",
    help: "households simulated (default 1000, or sized from --rate)",
    commands: GEN,
  },
  "scenario": {
    kind: "string",
    value: "NAME|FILE",
    help:
      "the world simulated: a built-in scenario (belgium, demo) or a scenario JSON or YAML file (default belgium)",
    commands: [...GEN, "consume", "validate", "scenario", "schema"],
    switchIn: { schema: "print the scenario file's JSON Schema instead" },
  },
  "incident": {
    kind: "list",
    value: "SPEC",
    help:
      "something goes wrong, e.g. 'cdn_outage cdn=Akamai at=20:30 for=15m severity=0.8' (repeatable; kinds: cdn_outage, isp_degradation, app_crash, ad_server_down, live_event)",
    commands: [...GEN, "validate"],
  },
  "event-schema": {
    kind: "boolean",
    help:
      "print the event JSON Schema of the scenario's stream: the built-in types and its own",
    commands: ["scenario"],
  },
  "print": {
    kind: "boolean",
    help: "print the scenario as JSON (a starting point for your own)",
    commands: ["scenario"],
  },
  "shard": {
    kind: "string",
    value: "K/N",
    help:
      "only the K-th of N disjoint slices of the households: N processes with 1/N..N/N make one stream between them",
    commands: GEN,
  },
  "from": {
    kind: "string",
    value: "DATE",
    help: "simulate from this ISO date/date-time (UTC), then stop at --to",
    commands: GEN,
  },
  "to": {
    kind: "string",
    value: "DATE",
    help: "end of the simulated window, exclusive (default --from + 1 day)",
    commands: GEN,
  },
  "warehouse": {
    kind: "string",
    value: "DIR",
    help: "Parquet root; a table lives in DIR/<topic>/date=YYYY-MM-DD/",
    commands: ["run", "consume", "inspect", "validate", "compact"],
  },
  "checkpoint": {
    kind: "string",
    value: "DIR",
    help: "checkpoint directory (default ./chk/<topic>)",
    commands: ["run", "produce", "consume", "inspect"],
  },
  "group": {
    kind: "string",
    value: "ID",
    help: "Kafka consumer group (default tvstream-<topic>)",
    commands: ["run", "consume", "inspect"],
  },
  "until-idle": {
    kind: "string",
    value: "SECONDS",
    help: "stop after this long with nothing new to consume",
    commands: SINK,
  },
  "partitions": {
    kind: "string",
    value: "N",
    help: "partitions when creating the topic (default 4)",
    commands: ["run", "produce"],
  },
  "acks": {
    kind: "string",
    value: "all|1|0",
    help: "producer acknowledgements (default all)",
    commands: ["run", "produce"],
  },
  "compression": {
    kind: "string",
    value: "CODEC",
    help:
      "produce: Kafka codec none|gzip; run/consume: Parquet codec snappy|gzip|none",
    commands: ["run", "produce", "consume", "compact"],
  },
  "kafka-compression": {
    kind: "string",
    value: "none|gzip",
    help: "run --bootstrap: Kafka wire codec (default none)",
    commands: ["run"],
  },
  "headers": {
    kind: "string",
    value: "all|seq",
    help:
      "record headers: all (event, schema, seq; default), or seq only (about 25% faster to produce)",
    commands: ["run", "produce"],
  },
  "max-file-rows": {
    kind: "string",
    value: "N",
    help:
      "flush once a partition has N rows buffered for one date (default 10000; bounds memory)",
    commands: SINK,
  },
  "flush-interval": {
    kind: "string",
    value: "SECONDS",
    help: "flush open files at least this often (default 10)",
    commands: SINK,
  },
  "late-grace": {
    kind: "string",
    value: "SECONDS",
    help:
      "a day is closed (_SUCCESS, compaction) once event time passes its end + this (default 3600)",
    commands: SINK,
  },
  "on-data-loss": {
    kind: "string",
    value: "fail|skip",
    help: "when checkpointed offsets were deleted by retention (default fail)",
    commands: SINK,
  },
  "ssl": {
    kind: "boolean",
    help: "connect with TLS",
    commands: KAFKA,
  },
  "ssl-ca": {
    kind: "string",
    value: "FILE",
    help: "CA certificate (PEM)",
    commands: KAFKA,
  },
  "ssl-cert": {
    kind: "string",
    value: "FILE",
    help: "client certificate (PEM)",
    commands: KAFKA,
  },
  "ssl-key": {
    kind: "string",
    value: "FILE",
    help: "client key (PEM)",
    commands: KAFKA,
  },
  "sasl-mechanism": {
    kind: "string",
    value: "MECH",
    help: "plain | scram-sha-256 | scram-sha-512",
    commands: KAFKA,
  },
  "sasl-username": {
    kind: "string",
    value: "USER",
    help:
      "SASL user; password from $TVSTREAM_SASL_PASSWORD or --sasl-password-file",
    commands: KAFKA,
  },
  "sasl-password-file": {
    kind: "string",
    value: "FILE",
    help: "file holding the SASL password",
    commands: KAFKA,
  },
  "connect-timeout": {
    kind: "string",
    value: "SECONDS",
    help: "give up reaching the brokers after this long (default 30)",
    commands: KAFKA,
  },
  "retry-timeout": {
    kind: "string",
    value: "SECONDS",
    help:
      "wait out brokers down, leaders moving and rebalances this long before failing (default 300)",
    commands: KAFKA,
  },
  "session-timeout": {
    kind: "string",
    value: "SECONDS",
    help: "consumer group session timeout (default 30; 6-300)",
    commands: ["run", "consume"],
  },
  "count": {
    kind: "string",
    short: "n",
    value: "N",
    help: "number of events to print (default 5)",
    commands: ["sample"],
  },
  "pretty": {
    kind: "boolean",
    help: "indent the JSON",
    commands: ["sample"],
  },
  "threads": {
    kind: "string",
    value: "N",
    help:
      "generate on N threads, one shard each, merged back in order (default: one per core, at most 4, from 200,000 events with --from)",
    commands: ["sample"],
  },
  "json": {
    kind: "boolean",
    help: "machine-readable output",
    commands: ["inspect", "validate", "schema"],
  },
  "date": {
    kind: "string",
    value: "YYYY-MM-DD",
    help: "only this date partition",
    commands: ["compact"],
  },
  "http": {
    kind: "string",
    value: "HOST:PORT|PORT|off",
    help:
      "live dashboard, /api/stats and /metrics (default 127.0.0.1:8787, or the next free port)",
    commands: ["run", "produce", "consume"],
  },
  "quiet": {
    kind: "boolean",
    short: "q",
    help: "no status line or progress logs",
    commands: ALL,
  },
  "log-format": {
    kind: "string",
    value: "text|json",
    help: "log line format on stderr (default text)",
    commands: ALL,
  },
  "debug": {
    kind: "boolean",
    help: "show stack traces and debug logs",
    commands: ALL,
  },
  "help": { kind: "boolean", short: "h", help: "show help", commands: ALL },
  "version": {
    kind: "boolean",
    short: "V",
    help: "print the version",
    commands: ALL,
  },
};

const SUMMARIES: Record<Command, string> = {
  run: "pipeline: generator -> transport -> consumer -> Parquet (default)",
  sample: "print N events as JSON lines: the last N before now, or from --from",
  produce: "generator -> Kafka only",
  consume: "Kafka -> Parquet only",
  inspect: "summarise a warehouse: partitions, files, rows, event counts",
  validate:
    "check events for coherence and realism (warehouse, JSON-lines file or stdin)",
  schema: "print the event JSON Schema and the Parquet schema",
  scenario: "check a scenario file, or print one (--print) to start your own",
  compact: "merge a closed day's small Parquet files into large ones",
};

/** Returns the top-level help text. */
export function helpText(): string {
  const lines = [
    "tvstream: realistic TV/OTT telemetry -> Kafka (or embedded) -> Parquet",
    "",
    "Usage: tvstream [COMMAND] [FLAGS]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.padEnd(9)} ${SUMMARIES[c]}`),
    "",
    "Run 'tvstream COMMAND --help' for a command's flags.",
    "Examples:",
    "  tvstream                                   # embedded pipeline -> ./warehouse",
    "  tvstream sample -n 3 --pretty",
    "  tvstream run --from 2026-11-01 --to 2026-11-08 --rate 0",
    "  tvstream run --bootstrap localhost:9092",
    "  tvstream inspect",
  ];
  return lines.join("\n");
}

/** Returns the help text of one subcommand, listing only its flags. */
export function commandHelp(command: Command): string {
  const rows = Object.entries(FLAGS)
    .filter(([, spec]) => spec.commands.includes(command))
    .map(([name, spec]) => {
      const switchHelp = spec.switchIn?.[command];
      const short = spec.short ? `-${spec.short}, ` : "    ";
      const value = spec.value && !switchHelp ? ` ${spec.value}` : "";
      return `  ${`${short}--${name}${value}`.padEnd(36)} ${
        switchHelp ?? spec.help
      }`;
    });
  const positional = command === "validate" ? " [FILE|-]" : "";
  return [
    `tvstream ${command}: ${SUMMARIES[command]}`,
    "",
    `Usage: tvstream ${command} [FLAGS]${positional}`,
    "",
    "Flags:",
    ...rows,
  ].join("\n");
}

function isCommand(word: string): word is Command {
  return (COMMANDS as readonly string[]).includes(word);
}

/** The command, its flags' raw values and its positional arguments. */
export interface RawArgs {
  command: Command;
  /** Raw value of a string flag, if given; an empty value is an error. */
  str(name: string): string | undefined;
  /** Whether a boolean flag was given. */
  bool(name: string): boolean;
  /** Every value of a repeatable flag, in order. */
  list(name: string): string[];
  positionals: string[];
}

/**
 * Reads the command and its flags: an unknown command or flag, a flag the
 * command does not take, a missing value or a stray argument is a
 * TypeError naming it.
 */
export function readArgs(args: readonly string[]): RawArgs {
  let command: Command = "run";
  let rest = [...args];
  const first = rest[0];
  if (first !== undefined && !first.startsWith("-")) {
    if (!isCommand(first)) {
      throw new TypeError(
        `Unknown command "${first}": expected one of ${COMMANDS.join(", ")}`,
      );
    }
    command = first;
    rest = rest.slice(1);
  }
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    const type = spec.switchIn?.[command] || spec.kind === "boolean"
      ? "boolean"
      : "string";
    options[name] = {
      type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.kind === "list" ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new TypeError(describeParseError(error, command), { cause: error });
  }
  // parseArgs returns a null-prototype object; copy it into a plain record.
  const v = { ...parsed.values } as Record<string, string | boolean>;
  for (const name of Object.keys(v)) {
    const spec = FLAGS[name];
    if (spec && !spec.commands.includes(command)) {
      throw new TypeError(
        `Unknown flag --${name} for "tvstream ${command}": see "tvstream ${command} --help"`,
      );
    }
  }
  const positionals = parsed.positionals;
  if (
    positionals.length > 1 ||
    (positionals.length === 1 && command !== "validate")
  ) {
    throw new TypeError(
      `Unexpected argument "${
        positionals[command === "validate" ? 1 : 0]
      }" for "tvstream ${command}"`,
    );
  }
  return {
    command,
    positionals,
    bool: (name) => v[name] === true,
    list: (name) => (v[name] as unknown as string[] | undefined) ?? [],
    str(name) {
      const value = v[name];
      if (typeof value !== "string") return undefined;
      if (value === "") {
        throw new RangeError(`Cannot use --${name}: the value is empty`);
      }
      return value;
    },
  };
}

/** Rewrites node:util parseArgs errors as one line naming the flag. */
function describeParseError(error: unknown, command: Command): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    return `Unknown flag ${
      unknown[1]
    } for "tvstream ${command}": see "tvstream ${command} --help"`;
  }
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/
    .exec(message);
  if (missing) {
    return `Missing value for ${missing[1]}: expected ${
      FLAGS[missing[1]!.slice(2)]?.value ?? "a value"
    }`;
  }
  const boolValue = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/
    .exec(message);
  if (boolValue) return `Flag ${boolValue[1]} takes no value`;
  return message.split("\n")[0] ?? message;
}

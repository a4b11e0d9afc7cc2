// deno-lint-ignore-file no-console
/**
 * tvstream's only shell: parses flags, runs a command, spawns the generator
 * and consumer workers for `run`, `produce` and `consume`, relays their
 * reports, handles Ctrl-C, and is the only place that exits.
 *
 * @module
 */
import {
  commandHelp,
  type Config,
  helpText,
  parseConfig,
} from "./src/config.ts";
import { createLogger, type Logger } from "./src/log.ts";
import {
  type Command,
  emptyStats,
  fromWireError,
  type Report,
  type Role,
  type Stats,
} from "./src/protocol.ts";
import { VERSION } from "./src/version.ts";
import { preflight, readSecret } from "./src/cli/preflight.ts";
import { redact } from "./src/cli/redact.ts";

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;
/** How long a stop signal waits for the last flush before exiting anyway. */
const STOP_GRACE_MS = 30_000;

async function main(args: string[]): Promise<number> {
  const debug = args.includes("--debug");
  let config: Config;
  try {
    config = parseConfig(args);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      console.error(`tvstream: ${error.message}`);
      console.error(`Run "tvstream --help" for usage.`);
      if (debug) console.error(error.stack);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (config.version) {
    console.log(`tvstream ${VERSION}`);
    return EXIT_OK;
  }
  if (config.help) {
    const topLevel = args[0] === undefined || args[0].startsWith("-");
    console.log(topLevel ? helpText() : commandHelp(config.command));
    return EXIT_OK;
  }
  const tty = Deno.stderr.isTerminal();
  const logger = createLogger({
    format: config.output.logFormat,
    quiet: config.output.quiet,
    debug: config.output.debug,
    tty,
    color: tty && !Deno.env.get("NO_COLOR"),
  });
  try {
    // Each command loads only what it needs: the pipeline's main thread
    // stays small (faker and the Parquet libraries live in the workers).
    switch (config.command) {
      case "sample":
        return await (await import("./src/cli/sample.ts")).runSample(
          config,
          writeStdoutBytes,
        );
      case "schema":
        return await (await import("./src/cli/schema.ts")).runSchema(
          config,
          writeStdout,
        );
      case "inspect":
        return await (await import("./src/cli/inspect.ts")).runInspect(
          config,
          writeStdout,
        );
      case "validate":
        return await (await import("./src/cli/validate.ts")).runValidate(
          config,
          writeStdout,
        );
      case "compact":
        return await (await import("./src/cli/compact.ts")).runCompact(
          config,
          (m) => logger.log("info", m),
        );
      default:
        return await runPipeline(config, logger);
    }
  } catch (error) {
    logger.clearStatus();
    const message = error instanceof Error ? error.message : String(error);
    logger.log("error", redact(message, config));
    if (config.output.debug && error instanceof Error) {
      console.error(redact(error.stack ?? "", config));
    }
    return EXIT_RUNTIME;
  }
}

/** One static URL per worker: `deno compile` embeds exactly these. */
const WORKERS: Record<Role, URL> = {
  generator: new URL("./workers/generator.ts", import.meta.url),
  producer: new URL("./workers/producer.ts", import.meta.url),
  fetcher: new URL("./workers/fetcher.ts", import.meta.url),
  consumer: new URL("./workers/consumer.ts", import.meta.url),
};

const stdoutEncoder = new TextEncoder();
async function writeStdout(text: string): Promise<void> {
  await writeStdoutBytes(stdoutEncoder.encode(text));
}

async function writeStdoutBytes(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

/** Runs run / produce / consume with real workers. */
async function runPipeline(config: Config, logger: Logger): Promise<number> {
  await preflight(config);
  const secret = await readSecret(config);
  // With Kafka, the client runs in workers of its own, beside the ones it
  // serves, so that both use a core: the generator relays records to the
  // producer, and the fetcher relays what it fetches to the consumer, each
  // pair over a MessageChannel. Without Kafka, one channel links the
  // generator to the consumer (the embedded transport).
  const roles: Role[] = config.command === "produce"
    ? ["generator", "producer"]
    : config.command === "consume"
    ? ["fetcher", "consumer"]
    : config.kafka
    ? ["generator", "producer", "fetcher", "consumer"]
    : ["generator", "consumer"];
  const ports = new Map<Role, MessagePort>();
  const link = (a: Role, b: Role) => {
    if (!roles.includes(a) || !roles.includes(b)) return;
    const channel = new MessageChannel();
    ports.set(a, channel.port1);
    ports.set(b, channel.port2);
  };
  if (config.kafka) {
    link("generator", "producer");
    link("fetcher", "consumer");
  } else link("generator", "consumer");
  /** Workers that end when their peer ends the relay, not on "stop". */
  const relays: Role[] = ["producer", "fetcher"];
  const workers = new Map<Role, Worker>();
  const stats = new Map<Role, Stats>(roles.map((r) => [r, emptyStats()]));
  const done = new Map<Role, PromiseWithResolvers<void>>(
    roles.map((r) => [r, Promise.withResolvers<void>()]),
  );
  let failure: Error | undefined;
  /** Generating and consuming in one run (embedded or through Kafka). */
  const pipeline = roles.includes("generator") && roles.includes("consumer");
  const started = Date.now();
  let lastLine = 0;

  const onReport = (report: Report) => {
    switch (report.type) {
      case "ready":
        logger.log("debug", `${report.role} ready`);
        break;
      case "progress":
        stats.set(report.role, report.stats);
        showStatus();
        break;
      case "log":
        if (report.level === "warn") logger.clearStatus();
        logger.log(
          report.level,
          `${report.role}: ${redact(report.message, config)}`,
        );
        break;
      case "stopped":
        stats.set(report.role, report.stats);
        done.get(report.role)!.resolve();
        // The producer has sent everything: the consumer drains to the end
        // offsets it acknowledged, then stops.
        if (report.role === "producer" && pipeline && !failure) {
          workers.get("consumer")?.postMessage(
            {
              type: "drain",
              range: {
                from: report.stats.startOffsets ?? {},
                until: report.stats.endOffsets ?? {},
              },
            } satisfies Command,
          );
        }
        break;
      case "failed": {
        const error = fromWireError(report.error);
        error.message = redact(error.message, config);
        failure ??= error;
        logger.log("debug", redact(report.error.stack ?? "", config));
        done.get(report.role)!.resolve();
        // One side failing stops the other, so nothing waits forever.
        for (const w of workers.values()) {
          w.postMessage({ type: "stop" } satisfies Command);
        }
        break;
      }
      default: {
        const never: never = report;
        void never;
      }
    }
  };

  const showStatus = () => {
    const g = stats.get("generator");
    const c = stats.get("consumer");
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const parts: string[] = [];
    if (g) {
      parts.push(`generated ${g.events} (${Math.round(g.events / secs)}/s)`);
      if (config.kafka) parts.push(`produced ${g.produced}`);
      if (g.simTime > 0) {
        parts.push(`sim ${new Date(g.simTime).toISOString().slice(0, 19)}Z`);
      }
    }
    if (c) {
      parts.push(`consumed ${c.events}`, `rows ${c.rows}`, `files ${c.files}`);
      if (c.rejected) parts.push(`rejected ${c.rejected}`);
      if (g) parts.push(`lag ${Math.max(0, g.produced - c.events)}`);
      else parts.push(`lag ${c.lag}`);
    }
    const line = parts.join(" | ");
    if (Deno.stderr.isTerminal()) logger.status(line);
    else if (Date.now() - lastLine >= 10_000) {
      lastLine = Date.now();
      logger.log("info", line);
    }
  };

  for (const role of roles) {
    const worker = new Worker(WORKERS[role], { type: "module" });
    worker.addEventListener("message", (e) => onReport(e.data as Report));
    worker.addEventListener("error", (e) => {
      e.preventDefault();
      failure ??= new Error(`${role} worker crashed: ${e.message}`);
      done.get(role)!.resolve();
      for (const w of workers.values()) {
        w.postMessage({ type: "stop" } satisfies Command);
      }
    });
    workers.set(role, worker);
    const port = ports.get(role);
    const start: Command = {
      type: "start",
      config,
      ...(port ? { port } : {}),
      // Only the workers that talk to Kafka get the SASL password.
      ...(secret !== undefined && relays.includes(role) ? { secret } : {}),
    };
    worker.postMessage(start, port ? [port] : []);
  }

  // Ctrl-C / SIGTERM: stop generating, let the consumer flush and checkpoint.
  // A second signal exits at once, and so does a stop whose last flush
  // cannot finish in time (a full disk, a broker gone): every write is
  // atomic, so the checkpoint on disk is always a consistent one.
  let interrupted = 0;
  let firstSignalAt = 0;
  let stopTimedOut = false;
  const forceExit = Promise.withResolvers<void>();
  let stopTimer: ReturnType<typeof setTimeout> | undefined;
  const onSignal = () => {
    // `deno task` forwards Ctrl-C to us as well as the terminal sending it:
    // a repeat within a second is the same keypress, not a second Ctrl-C.
    if (interrupted === 1 && Date.now() - firstSignalAt < 1000) return;
    if (interrupted === 0) firstSignalAt = Date.now();
    interrupted++;
    if (interrupted === 1) {
      stopTimer = setTimeout(() => {
        stopTimedOut = true;
        forceExit.resolve();
      }, STOP_GRACE_MS);
      logger.clearStatus();
      logger.log(
        "info",
        "stopping: flushing open files and saving the checkpoint (Ctrl-C again to exit now)",
      );
      const first = workers.get("generator") ?? workers.get("consumer")!;
      first.postMessage({ type: "stop" } satisfies Command);
      if (!workers.has("generator")) return;
      // With no generator to end the stream, the consumer is stopped too.
      if (config.kafka) {
        workers.get("consumer")?.postMessage(
          { type: "stop" } satisfies Command,
        );
      }
    } else {
      forceExit.resolve();
    }
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const all = Promise.all([...done.values()].map((d) => d.promise));
    // The generator finishing ends the embedded stream; with Kafka the
    // producer finishing sends the consumer the offsets to drain to.
    if (config.generator.durationSec !== undefined) {
      // In a pipeline only the generator is stopped: the consumer drains
      // what was sent. The producer and fetcher end with their relays.
      const first: Role[] = pipeline
        ? ["generator"]
        : ["generator", "consumer"];
      const timer = setTimeout(() => {
        for (const role of first) {
          workers.get(role)?.postMessage(
            { type: "stop" } satisfies Command,
          );
        }
      }, config.generator.durationSec * 1000);
      void all.finally(() => clearTimeout(timer));
    }
    await Promise.race([all, forceExit.promise]);
  } finally {
    clearTimeout(stopTimer);
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    for (const w of workers.values()) w.terminate();
    logger.clearStatus();
  }
  if (stopTimedOut) {
    throw failure ?? new Error(
      `Cannot stop cleanly: the last flush did not finish within ${
        STOP_GRACE_MS / 1000
      } s; exited without it (the last checkpoint is intact)`,
    );
  }
  if (interrupted > 1) {
    logger.log(
      "warn",
      "exited without waiting for the flush; the last checkpoint is intact",
    );
    return EXIT_OK;
  }
  if (failure) throw failure;
  // A run lands what it produced, or fails; `consume --on-data-loss skip`
  // asked to go on past lost records, and says how many.
  const lost = stats.get("consumer")?.lost ?? 0;
  if (lost > 0) {
    const message =
      `${lost} records were gone from the broker and were skipped (--on-data-loss skip); the gaps are in the checkpoint files under ${config.sink.checkpoint}/partitions`;
    if (pipeline) throw new Error(message);
    logger.log("warn", message);
  }
  const secs = (Date.now() - started) / 1000;
  const g = stats.get("generator");
  const c = stats.get("consumer");
  const summary: Record<string, unknown> = { seconds: secs.toFixed(1) };
  if (g) {
    summary["generated"] = g.events;
    summary["events_per_s"] = Math.round(g.events / Math.max(secs, 0.001));
    if (!c) summary["active_seconds"] = (g.activeMs / 1000).toFixed(2);
  }
  if (c) {
    Object.assign(summary, {
      consumed: c.events,
      rows: c.rows,
      files: c.files,
      rejected: c.rejected,
      duplicates_dropped: c.duplicates,
      ...(c.lost ? { lost: c.lost } : {}),
      // End to end: from the first event sent to the last row landed.
      active_seconds: ((g && g.activeFrom && c.activeFrom
        ? c.activeFrom + c.activeMs - g.activeFrom
        : c.activeMs) / 1000).toFixed(2),
      warehouse: `${config.sink.warehouse}/${config.topic}`,
      checkpoint: config.sink.checkpoint,
    });
  }
  logger.log("info", "done", summary);
  return EXIT_OK;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}

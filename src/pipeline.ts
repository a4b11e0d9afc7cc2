/**
 * The pipeline of `run`, `produce` and `consume`: spawns the workers and
 * links them, relays their reports to the log and the status line, drains
 * the consumer when the producer is done, stops everything when one side
 * fails, handles the duration timer and Ctrl-C, and prints the summary.
 * It never exits; main.ts does.
 *
 * With Kafka, the client runs in workers of its own, beside the ones it
 * serves, so that both use a core: the generator relays records to the
 * producer, and the fetcher relays what it fetches to the consumer, each
 * pair over a MessageChannel. Without Kafka, one channel links the
 * generator to the consumer (the embedded transport).
 *
 * @module
 */
import type { PipelineConfig } from "./config.ts";
import type { Logger } from "./log.ts";
import {
  type Command,
  emptyStats,
  fromWireError,
  type Report,
  type Role,
  type Stats,
} from "./protocol.ts";
import { redact } from "./cli/redact.ts";
import { LiveState } from "./live/state.ts";
import {
  type IncidentTrigger,
  isLoopback,
  type LiveServer,
  startLiveServer,
} from "./live/server.ts";
import { type IncidentSpec, parseIncident } from "./world/incidents.ts";
import { incidentTargetProblem } from "./world/world_problems.ts";
import { WORLD } from "./world/world.ts";

/** How long a stop signal waits for the last flush before exiting anyway. */
export const STOP_GRACE_MS = 30_000;

/** One static URL per worker: `deno compile` embeds exactly these. */
const WORKERS: Record<Role, URL> = {
  generator: new URL("../workers/generator.ts", import.meta.url),
  producer: new URL("../workers/producer.ts", import.meta.url),
  fetcher: new URL("../workers/fetcher.ts", import.meta.url),
  consumer: new URL("../workers/consumer.ts", import.meta.url),
};

/** Workers that end when their peer ends the relay, not on "stop". */
const RELAYS: readonly Role[] = ["producer", "fetcher"];

/** Runs run / produce / consume with real workers; throws what failed. */
export async function runPipeline(
  config: PipelineConfig,
  logger: Logger,
  secret: string | undefined,
): Promise<void> {
  const pipeline = new Pipeline(config, logger);
  // The live view binds first: a port that is taken fails before any work.
  const server = pipeline.serve();
  try {
    pipeline.spawn(secret);
    await pipeline.wait();
  } finally {
    await server?.close();
  }
  pipeline.finish();
}

/** The roles a command runs. */
function rolesOf(config: PipelineConfig): Role[] {
  return config.command === "produce"
    ? ["generator", "producer"]
    : config.command === "consume"
    ? ["fetcher", "consumer"]
    : config.kafka
    ? ["generator", "producer", "fetcher", "consumer"]
    : ["generator", "consumer"];
}

/** The workers of one command, and what they reported. */
class Pipeline {
  readonly #config: PipelineConfig;
  readonly #logger: Logger;
  readonly #roles: Role[];
  readonly #workers = new Map<Role, Worker>();
  /** Roles that said "ready" (a relay says so once it reached Kafka). */
  readonly #ready = new Set<Role>();
  readonly #stats: Map<Role, Stats>;
  readonly #done: Map<Role, PromiseWithResolvers<void>>;
  /** Generating and consuming in one run (embedded or through Kafka). */
  readonly #both: boolean;
  readonly #started = Date.now();
  readonly #stopper: Stopper;
  #failure: Error | undefined;
  #lastLine = 0;
  /** The live view's figures; absent with `--http off`. */
  readonly #live: LiveState | undefined;

  constructor(config: PipelineConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.#roles = rolesOf(config);
    this.#stats = new Map(this.#roles.map((r) => [r, emptyStats()]));
    this.#done = new Map(
      this.#roles.map((r) => [r, Promise.withResolvers<void>()]),
    );
    this.#both = this.#roles.includes("generator") &&
      this.#roles.includes("consumer");
    this.#stopper = new Stopper(config, logger, this.#workers, this.#ready);
    this.#live = config.http ? new LiveState(config) : undefined;
  }

  /** Starts the live view's server, when asked for; prints its address once. */
  serve(): LiveServer | undefined {
    const http = this.#config.http;
    if (!http || !this.#live) return undefined;
    const server = startLiveServer(
      http,
      this.#live,
      this.#roles.includes("generator")
        ? (spec) => this.#triggerIncident(spec)
        : undefined,
    );
    this.#logger.log(
      "info",
      `live view at ${server.url} (JSON at ${server.url}api/stats, Prometheus at ${server.url}metrics)`,
    );
    if (!isLoopback(http.host)) {
      this.#logger.log(
        "warn",
        `the live view listens on ${http.host}: other machines can reach it, and it has no authentication`,
      );
    }
    const live = this.#live;
    const ticker = setInterval(() => live.tick(), 1000);
    return {
      url: server.url,
      close: () => {
        clearInterval(ticker);
        return server.close();
      },
    };
  }

  /** Starts every worker with its end of its link. */
  spawn(secret: string | undefined): void {
    const ports = this.#link();
    for (const role of this.#roles) {
      const worker = new Worker(WORKERS[role], { type: "module" });
      worker.addEventListener("message", (e) => this.#onReport(e.data));
      worker.addEventListener("error", (e) => {
        e.preventDefault();
        this.#fail(new Error(`${role} worker crashed: ${e.message}`), role);
      });
      this.#workers.set(role, worker);
      const port = ports.get(role);
      const start: Command = {
        type: "start",
        config: this.#config,
        ...(port ? { port } : {}),
        // Only the workers that talk to Kafka get the SASL password.
        ...(secret !== undefined && RELAYS.includes(role) ? { secret } : {}),
      };
      worker.postMessage(start, port ? [port] : []);
    }
  }

  /** One MessageChannel per pair of workers that talk. */
  #link(): Map<Role, MessagePort> {
    const ports = new Map<Role, MessagePort>();
    const link = (a: Role, b: Role) => {
      if (!this.#roles.includes(a) || !this.#roles.includes(b)) return;
      const channel = new MessageChannel();
      ports.set(a, channel.port1);
      ports.set(b, channel.port2);
    };
    if (this.#config.kafka) {
      link("generator", "producer");
      link("fetcher", "consumer");
    } else link("generator", "consumer");
    return ports;
  }

  /** Waits until every worker has stopped, a stop timed out, or a second Ctrl-C. */
  async wait(): Promise<void> {
    const all = Promise.all([...this.#done.values()].map((d) => d.promise));
    this.#stopper.listen();
    // The generator finishing ends the embedded stream; with Kafka the
    // producer finishing sends the consumer the offsets to drain to.
    const timer = this.#durationTimer();
    try {
      await Promise.race([all, this.#stopper.forced]);
    } finally {
      clearTimeout(timer);
      this.#live?.finish();
      this.#stopper.close();
      for (const w of this.#workers.values()) w.terminate();
      this.#logger.clearStatus();
    }
  }

  /**
   * `--duration`: in a pipeline only the generator is stopped and the
   * consumer drains what was sent; the producer and fetcher end with their
   * relays.
   */
  #durationTimer(): ReturnType<typeof setTimeout> | undefined {
    const durationSec = this.#config.generator.durationSec;
    if (durationSec === undefined) return undefined;
    const first: Role[] = this.#both
      ? ["generator"]
      : ["generator", "consumer"];
    return setTimeout(() => {
      for (const role of first) this.#post(role, { type: "stop" });
    }, durationSec * 1000);
  }

  /** Checks an incident from the live view and sends it to the generator. */
  #triggerIncident(text: string): ReturnType<IncidentTrigger> {
    let spec: IncidentSpec;
    try {
      spec = parseIncident(/\bat=/.test(text) ? text : `${text} at=now`);
    } catch (error) {
      return { status: 400, body: { error: (error as Error).message } };
    }
    const world = this.#config.generator.world ?? WORLD;
    const problem = incidentTargetProblem(world, spec);
    if (problem) {
      return {
        status: 400,
        body: { error: `Cannot use --incident ${spec.kind}: ${problem}` },
      };
    }
    this.#post("generator", { type: "incident", spec });
    this.#logger.log("info", `incident requested: ${text}`);
    return { status: 202, body: { accepted: text } };
  }

  #post(role: Role, command: Command): void {
    this.#workers.get(role)?.postMessage(command);
  }

  #onReport(sent: Report): void {
    const logger = this.#logger;
    // A log line may quote a broker's error: secrets are masked once, here,
    // for the terminal and the live view alike.
    const report = sent.type === "log"
      ? { ...sent, message: redact(sent.message) }
      : sent;
    this.#live?.report(report);
    switch (report.type) {
      case "ready":
        this.#ready.add(report.role);
        logger.log("debug", `${report.role} ready`);
        break;
      case "progress":
        this.#stats.set(report.role, report.stats);
        this.#showStatus();
        break;
      case "log":
        if (report.level === "warn") logger.clearStatus();
        logger.log(report.level, `${report.role}: ${report.message}`);
        break;
      case "stopped":
        this.#stopped(report.role, report.stats);
        break;
      case "retry":
      case "incident":
        break;
      case "failed": {
        const error = fromWireError(report.error);
        error.message = redact(error.message);
        logger.log("debug", redact(report.error.stack ?? ""));
        this.#fail(error, report.role);
        break;
      }
      default: {
        const never: never = report;
        void never;
      }
    }
  }

  #stopped(role: Role, stats: Stats): void {
    this.#stats.set(role, stats);
    this.#done.get(role)!.resolve();
    // The producer has sent everything: the consumer drains to the end
    // offsets it acknowledged, then stops.
    if (role === "producer" && this.#both && !this.#failure) {
      this.#post("consumer", {
        type: "drain",
        range: {
          from: stats.startOffsets ?? {},
          until: stats.endOffsets ?? {},
        },
      });
    }
  }

  /** One side failing stops the other, so nothing waits forever. */
  #fail(error: Error, role: Role): void {
    this.#failure ??= error;
    this.#done.get(role)!.resolve();
    for (const r of this.#workers.keys()) this.#post(r, { type: "stop" });
  }

  #showStatus(): void {
    const g = this.#stats.get("generator");
    const c = this.#stats.get("consumer");
    const secs = Math.max(0.001, (Date.now() - this.#started) / 1000);
    const parts: string[] = [];
    if (g) {
      parts.push(`generated ${g.events} (${Math.round(g.events / secs)}/s)`);
      if (this.#config.kafka) parts.push(`produced ${g.produced}`);
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
    if (Deno.stderr.isTerminal()) this.#logger.status(line);
    else if (Date.now() - this.#lastLine >= 10_000) {
      this.#lastLine = Date.now();
      this.#logger.log("info", line);
    }
  }

  /** After the workers stopped: throws what failed, or logs the summary. */
  finish(): void {
    const logger = this.#logger;
    if (this.#stopper.timedOut) {
      throw this.#failure ?? new Error(
        `Cannot stop cleanly: the last flush did not finish within ${
          STOP_GRACE_MS / 1000
        } s; exited without it (the last checkpoint is intact)`,
      );
    }
    if (this.#stopper.forcedByUser) {
      logger.log(
        "warn",
        "exited without waiting for the flush; the last checkpoint is intact",
      );
      return;
    }
    if (this.#failure) throw this.#failure;
    // A run lands what it produced, or fails; `consume --on-data-loss skip`
    // asked to go on past lost records, and says how many.
    const lost = this.#stats.get("consumer")?.lost ?? 0;
    if (lost > 0) {
      const message =
        `${lost} records were gone from the broker and were skipped (--on-data-loss skip); the gaps are in the checkpoint files under ${this.#config.sink.checkpoint}/partitions`;
      if (this.#both) throw new Error(message);
      logger.log("warn", message);
    }
    logger.log("info", "done", this.#summary());
  }

  #summary(): Record<string, unknown> {
    const secs = (Date.now() - this.#started) / 1000;
    const g = this.#stats.get("generator");
    const c = this.#stats.get("consumer");
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
        warehouse: `${this.#config.sink.warehouse}/${this.#config.topic}`,
        checkpoint: this.#config.sink.checkpoint,
      });
    }
    return summary;
  }
}

/**
 * Ctrl-C / SIGTERM: stop generating, let the consumer flush and checkpoint.
 * A second signal exits at once, and so does a stop whose last flush
 * cannot finish in time (a full disk, a broker gone): every write is
 * atomic, so the checkpoint on disk is always a consistent one.
 */
class Stopper {
  /** Settles when waiting for the workers should end now. */
  readonly #forced = Promise.withResolvers<void>();
  #interrupted = 0;
  #firstSignalAt = 0;
  #timedOut = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  readonly #config: PipelineConfig;
  readonly #logger: Logger;
  readonly #workers: Map<Role, Worker>;
  readonly #ready: ReadonlySet<Role>;

  constructor(
    config: PipelineConfig,
    logger: Logger,
    workers: Map<Role, Worker>,
    ready: ReadonlySet<Role>,
  ) {
    this.#config = config;
    this.#logger = logger;
    this.#workers = workers;
    this.#ready = ready;
  }

  /** Settles on a second signal, or when a stop outlasts the grace. */
  get forced(): Promise<void> {
    return this.#forced.promise;
  }

  /** The stop's last flush did not finish within the grace. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** A second signal ended the wait. */
  get forcedByUser(): boolean {
    return this.#interrupted > 1;
  }

  /** Starts listening for stop signals. */
  listen(): void {
    for (const s of this.#signals) Deno.addSignalListener(s, this.#onSignal);
  }

  /** Stops listening. */
  close(): void {
    clearTimeout(this.#timer);
    for (const s of this.#signals) Deno.removeSignalListener(s, this.#onSignal);
  }

  readonly #onSignal = () => {
    // `deno task` forwards Ctrl-C to us as well as the terminal sending it:
    // a repeat within a second is the same keypress, not a second Ctrl-C.
    if (this.#interrupted === 1 && Date.now() - this.#firstSignalAt < 1000) {
      return;
    }
    if (this.#interrupted === 0) this.#firstSignalAt = Date.now();
    this.#interrupted++;
    if (this.#interrupted > 1) {
      this.#forced.resolve();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#forced.resolve();
    }, STOP_GRACE_MS);
    this.#logger.clearStatus();
    this.#logger.log(
      "info",
      "stopping: flushing open files and saving the checkpoint (Ctrl-C again to exit now)",
    );
    const stop = { type: "stop" } satisfies Command;
    const workers = this.#workers;
    // A Kafka worker still reaching the brokers has nothing to flush: it
    // stops now rather than after its connection attempt gives up.
    for (const role of RELAYS) {
      if (!this.#ready.has(role)) workers.get(role)?.postMessage(stop);
    }
    (workers.get("generator") ?? workers.get("consumer"))!.postMessage(stop);
    if (!workers.has("generator")) return;
    // With no generator to end the stream, the consumer is stopped too.
    if (this.#config.kafka) workers.get("consumer")?.postMessage(stop);
  };
}

/**
 * The kafkajs client as tvstream sets it up: one client per worker, secrets
 * kept in its closure, kafkajs failures sorted into the transient ones that
 * are waited out and the fatal ones that end a run.
 *
 * @module
 */
import process from "node:process";
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import type { KafkaSettings, PipelineConfig } from "../config.ts";

/** What a Kafka client is set up from: the connection settings and the topic. */
export type ClientConfig = Pick<PipelineConfig, "kafka" | "topic">;
import { BrokerError } from "../errors.ts";

let warningFilterInstalled = false;

/**
 * kafkajs schedules a timer with a negative delay on every connect
 * (tulios/kafkajs#1751): drops only that warning, in this thread, from the
 * first client on.
 */
function filterTimeoutNegativeWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const name = typeof warning === "string" ? rest[0] : warning.name;
    if (name === "TimeoutNegativeWarning") return;
    // deno-lint-ignore no-explicit-any
    (emitWarning as any)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** kafkajs error names and Kafka error types that no wait can cure. */
const FATAL = [
  /SASL/i,
  /AUTHENTICATION/i,
  /AUTHORIZATION/i,
  /UNSUPPORTED_SASL/i,
  /INVALID_TOPIC/i,
  /TOPIC_AUTHORIZATION/i,
  /GROUP_AUTHORIZATION/i,
  /CLUSTER_AUTHORIZATION/i,
  /RECORD_TOO_LARGE|MESSAGE_TOO_LARGE/i,
];

/** Whether a kafkajs failure is one that waiting cannot cure. */
export function isFatal(cause: unknown): boolean {
  // kafkajs wraps the broker's error in retry errors: look down the chain.
  let e = cause as Partial<Error & { type: string }> | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    const text = `${e.name ?? ""} ${e.type ?? ""} ${e.message ?? ""}`;
    if (FATAL.some((re) => re.test(text))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** The broker error type a failure is counted under (its kafkajs error name when the broker sent none). */
export function retryKind(cause: unknown): string {
  let e = cause as Partial<Error & { type: string }> | undefined;
  let name = "Error";
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === "string" && e.type !== "") return e.type;
    if (e.name && e.name !== "BrokerError" && name === "Error") name = e.name;
    e = e.cause as typeof e;
  }
  return name;
}

/** Maps any kafkajs failure to a BrokerError that never prints config. */
export function brokerError(action: string, cause: unknown): BrokerError {
  if (cause instanceof BrokerError) return cause;
  const e = cause as { message?: string };
  const reason = e?.message ?? String(cause);
  return new BrokerError(`${action}: ${reason}`, { cause });
}

async function readPem(path: string | undefined, flag: string) {
  if (!path) return undefined;
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read ${flag} "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Builds the kafkajs client for the settings; secrets stay in this closure. */
export async function createClient(
  config: ClientConfig,
  secret: string | undefined,
): Promise<Kafka> {
  filterTimeoutNegativeWarning();
  const k = config.kafka!;
  const ca = await readPem(k.sslCa, "--ssl-ca");
  const cert = await readPem(k.sslCert, "--ssl-cert");
  const key = await readPem(k.sslKey, "--ssl-key");
  const options: KafkaConfig = {
    clientId: "tvstream",
    brokers: k.brokers,
    connectionTimeout: Math.min(k.connectTimeoutMs, 10_000),
    requestTimeout: 30_000,
    // kafkajs's own retries bridge short blips; tvstream's retry loops
    // (bounded by --retry-timeout) bridge the rest.
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8 },
    logLevel: logLevel.NOTHING,
  };
  if (k.ssl) {
    options.ssl = ca || cert || key
      ? {
        ...(ca ? { ca: [ca] } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      }
      : true;
  }
  if (k.saslMechanism) {
    options.sasl = {
      mechanism: k.saslMechanism,
      username: k.saslUsername ?? "",
      password: secret ?? "",
    } as SASLOptions;
  }
  return new Kafka(options);
}

/** Fails with a clear (transient) error if `promise` does not settle in time. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new BrokerError(
                `${what}: no answer within ${Math.round(ms / 1000)} s`,
              ),
            ),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Called before each retry with the failure and the wait about to start. */
export type OnRetry = (error: BrokerError, waitMs: number) => void;

/** Opens one side of the Kafka adapter (what a worker entry point injects into its role). */
export type Connect<T> = (
  config: PipelineConfig,
  secret: string | undefined,
  log: (message: string) => void,
  retried?: (kind: string) => void,
) => Promise<T>;

/** What the producer and consumer sides share: the client, its settings, the log. */
export interface ClientContext {
  kafka: Kafka;
  config: PipelineConfig;
  settings: KafkaSettings;
  log: (message: string) => void;
  /** Logs each retry and its wait. */
  onRetry: OnRetry;
}

/** Connects a client for `config` and bundles what its users share. */
export async function clientContext(
  config: PipelineConfig,
  secret: string | undefined,
  log: (message: string) => void,
  retried: (kind: string) => void = () => {},
): Promise<ClientContext> {
  return {
    kafka: await createClient(config, secret),
    config,
    settings: config.kafka!,
    log,
    onRetry: (error, waitMs) => {
      retried(retryKind(error));
      log(`retrying in ${(waitMs / 1000).toFixed(1)} s: ${error.message}`);
    },
  };
}

/**
 * Runs `attempt` until it succeeds, waiting out transient failures with
 * exponential backoff (0.5 s to 5 s) for at most `settings.retryTimeoutMs`;
 * a fatal failure, or one that outlasts the timeout, is thrown.
 */
export async function withRetry<T>(
  what: string,
  settings: Pick<KafkaSettings, "retryTimeoutMs">,
  attempt: () => Promise<T>,
  onRetry?: OnRetry,
  signal?: AbortSignal,
): Promise<T> {
  const start = Date.now();
  for (let i = 0;; i++) {
    try {
      return await attempt();
    } catch (cause) {
      const error = brokerError(what, cause);
      const fatal = isFatal(cause);
      const waitMs = Math.min(5_000, 500 * 2 ** i);
      if (
        fatal || signal?.aborted ||
        Date.now() - start + waitMs > settings.retryTimeoutMs
      ) {
        if (!fatal && !signal?.aborted) {
          throw new BrokerError(
            `${error.message} (still failing after ${
              Math.round((Date.now() - start) / 1000)
            } s; --retry-timeout is ${
              Math.round(settings.retryTimeoutMs / 1000)
            } s)`,
            { cause },
          );
        }
        throw error;
      }
      onRetry?.(error, waitMs);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

/** Each partition's low and high offsets, read with a short-lived admin client. */
export async function topicOffsets(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
): Promise<{ partition: number; low: string; high: string }[]> {
  const admin = kafka.admin();
  try {
    await within(admin.connect(), timeoutMs, "Cannot reach Kafka");
    return await within(
      admin.fetchTopicOffsets(topic),
      timeoutMs,
      `Cannot read offsets of "${topic}"`,
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Returns each partition's high watermark (next offset to be written). */
export async function fetchHighWatermarks(
  config: ClientConfig,
  secret: string | undefined,
): Promise<Record<string, string>> {
  const kafka = await createClient(config, secret);
  const brokers = config.kafka!.brokers.join(",");
  try {
    const offsets = await topicOffsets(
      kafka,
      config.topic,
      config.kafka!.connectTimeoutMs,
    );
    return Object.fromEntries(
      offsets.map((o) => [String(o.partition), o.high]),
    );
  } catch (error) {
    throw brokerError(
      `Cannot read offsets of topic "${config.topic}" at ${brokers}`,
      error,
    );
  }
}

/** Shared test helpers: temp dirs, fake sources, event streams. */
import { createSimulator } from "../src/model/simulator.ts";
import { advertiserNames } from "../src/model/faker.ts";
import type { TelemetryEvent } from "../src/model/event.ts";
import type { Row } from "../src/warehouse/table.ts";
import type { Delivery, InRecord, OffsetMap, Source } from "../src/ports.ts";
import type { PipelineConfig, SinkSettings } from "../src/config.ts";
import { parseConfig } from "../src/config.ts";

/** A temp directory removed when disposed. */
export async function withTmpDir(): Promise<
  AsyncDisposable & { path: string }
> {
  const path = await Deno.makeTempDir({ prefix: "tvstream-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Generates `n` events of a seeded backfill. */
export function events(
  n: number,
  options: { seed?: number; households?: number; from?: string; to?: string } =
    {},
): TelemetryEvent[] {
  const startMs = Date.parse(options.from ?? "2026-11-02T18:00:00Z");
  const sim = createSimulator({
    seed: options.seed ?? 7,
    households: options.households ?? 60,
    startMs,
    endMs: options.to ? Date.parse(options.to) : startMs + 7 * 86_400_000,
    advertisers: advertiserNames(),
  });
  const out: TelemetryEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = sim.next();
    if (!e) break;
    out.push(e);
  }
  return out;
}

/**
 * `n` events as the consumer buffers them: parsed back from their JSON, in
 * Kafka `partition` at offsets from `offset` on. `skip` leaves out the
 * stream's first events (rows that continue an earlier call's).
 */
export function eventRows(
  n: number,
  options: {
    households: number;
    partition: number;
    offset: number;
    skip?: number;
  },
): Row[] {
  const skip = options.skip ?? 0;
  return events(skip + n, { households: options.households }).slice(skip)
    .map((e, i) => ({
      fields: JSON.parse(JSON.stringify(e)),
      t: Date.parse(e.timestamp),
      partition: options.partition,
      offset: options.offset + i,
    }));
}

/** Sink settings for tests in `dir`. */
export function sinkSettings(
  dir: string,
  overrides: Partial<SinkSettings> = {},
): SinkSettings {
  return {
    warehouse: `${dir}/warehouse`,
    checkpoint: `${dir}/chk`,
    group: "test",
    maxFileRows: 1000,
    flushIntervalSec: 3600,
    lateGraceSec: 3600,
    compression: "snappy",
    onDataLoss: "fail",
    ...overrides,
  };
}

/** A pipeline config (`run`, `produce`, `consume`) as the CLI would build it. */
export function config(args: string[]): PipelineConfig {
  const c = parseConfig(args);
  if (
    c.command !== "run" && c.command !== "produce" && c.command !== "consume"
  ) {
    throw new TypeError(`not a pipeline command: ${c.command}`);
  }
  return c;
}

/**
 * An in-memory topic: partitions of raw records, read like Kafka (one
 * consumer owning every partition). `failAfter` ends delivery early.
 */
export class FakeTopic {
  readonly partitions: InRecord[][];
  committed: OffsetMap = {};

  /** Creates a topic with `n` partitions. */
  constructor(n = 1) {
    this.partitions = Array.from({ length: n }, () => []);
  }

  /** Appends a raw value (string or bytes) to a partition; returns its offset. */
  append(
    partition: number,
    value: string | Uint8Array | null,
    seq?: number,
  ): number {
    const list = this.partitions[partition]!;
    const offset = list.length;
    list.push({
      offset: String(offset),
      value: typeof value === "string"
        ? new TextEncoder().encode(value)
        : value,
      ...(seq !== undefined ? { seq } : {}),
    });
    return offset;
  }

  /** Deletes records below `offset` (retention). */
  truncate(partition: number, offset: number): void {
    const list = this.partitions[partition]!;
    for (let i = 0; i < offset && i < list.length; i++) {
      list[i] = undefined as unknown as InRecord;
    }
  }

  /** Opens a source that ends when every partition is read. */
  source(options: { batchSize?: number } = {}): Source {
    const batchSize = options.batchSize ?? 250;
    const positions = new Map<number, number>();
    // deno-lint-ignore no-this-alias
    const topic = this;
    return {
      async *deliveries({ signal }): AsyncGenerator<Delivery> {
        yield {
          type: "assigned",
          partitions: topic.partitions.map((_, i) => i),
        };
        let progress = true;
        while (progress && !signal.aborted) {
          progress = false;
          for (let p = 0; p < topic.partitions.length; p++) {
            const list = topic.partitions[p]!;
            let at = positions.get(p) ?? 0;
            while (at < list.length && list[at] === undefined) at++;
            if (at >= list.length) continue;
            const records = list.slice(at, at + batchSize).filter((r) =>
              r !== undefined
            );
            positions.set(p, at + batchSize);
            progress = true;
            await Promise.resolve();
            yield {
              type: "batch",
              batch: {
                topic: "t",
                partition: p,
                records,
                highWatermark: String(list.length),
              },
            };
          }
        }
      },
      seek(offsets: OffsetMap) {
        for (let p = 0; p < topic.partitions.length; p++) {
          positions.set(p, Number(offsets[String(p)] ?? 0));
        }
        return Promise.resolve();
      },
      commit(offsets: OffsetMap) {
        topic.committed = { ...topic.committed, ...offsets };
        return Promise.resolve();
      },
      close() {
        return Promise.resolve();
      },
    };
  }
}

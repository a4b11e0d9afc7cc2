/**
 * `tvstream sample`: print N events as JSON lines.
 *
 * @module
 */
import type { SampleConfig } from "../config.ts";
import { advertiserNames } from "../model/faker.ts";
import { windowSimulator } from "../generator/window_sim.ts";
import { writeSharded } from "../generator/shards.ts";
import { LineWriter } from "../kafka/lines.ts";
import { DAY_MS, HOUR_MS } from "../model/time.ts";

/** How far back `sample` without `--from` looks for its last N events. */
const LOOKBACKS_MS = [5 * 60_000, HOUR_MS, 6 * HOUR_MS, DAY_MS];

/** Prints `config.count` events to `write`, as UTF-8; returns the exit code. */
export async function runSample(
  config: SampleConfig,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<number> {
  const g = config.generator;
  const limit = g.events !== undefined
    ? Math.min(g.events, config.count)
    : config.count;
  const threads = samplerThreads(config, limit);
  if (g.fromMs !== undefined && threads > 1) {
    await writeSharded(
      { settings: g, fromMs: g.fromMs, limit, threads },
      write,
    );
    return 0;
  }
  const out = new LineWriter(write);
  if (g.fromMs !== undefined) {
    const sim = simulator(config, g.fromMs, g.toMs, g.fromMs);
    for (let i = 0; i < limit; i++) {
      const r = sim.nextRecord();
      if (!r) break;
      if (config.pretty) out.lines.push(pretty(r.json));
      else out.lines.pushEvent(r);
      if (out.full) await out.flush();
    }
  } else {
    for (const json of lastEvents(config, limit, Date.now())) {
      out.lines.push(config.pretty ? pretty(json) : json);
      if (out.full) await out.flush();
    }
  }
  await out.close();
  return 0;
}

/** An event's JSON, indented. */
function pretty(json: string): string {
  return JSON.stringify(JSON.parse(json), null, 2);
}

/**
 * Below this many events, one thread writes a sample before sampler
 * workers would have started.
 */
const THREADS_FROM_EVENTS = 200_000;

/**
 * How many threads generate the sample: `--threads`, or one per core (at
 * most four) for a large sample. Only a sample from `--from`, written as
 * generated (not `--pretty`) and not itself a `--shard`, is split (the
 * config refuses `--threads` otherwise).
 */
function samplerThreads(config: SampleConfig, limit: number): number {
  const g = config.generator;
  if (g.fromMs === undefined || config.pretty || g.shard) return 1;
  if (config.threads !== undefined) return config.threads;
  if (limit < THREADS_FROM_EVENTS) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency));
}

/** The advertiser catalogue, built once however many windows are tried. */
let advertisers: readonly string[] | undefined;

/** A simulator of [startMs, endMs); `HH:MM` incidents fall on the day of `anchorMs`. */
function simulator(
  config: SampleConfig,
  startMs: number,
  endMs: number | undefined,
  anchorMs: number,
) {
  return windowSimulator(
    config.generator,
    startMs,
    endMs,
    anchorMs,
    advertisers ??= advertiserNames(),
  );
}

/**
 * The world as of now: the last `n` events before `now`, looking back
 * further only when the recent minutes (a quiet night) hold fewer.
 */
function lastEvents(config: SampleConfig, n: number, now: number): string[] {
  let last: string[] = [];
  for (const back of LOOKBACKS_MS) {
    const sim = simulator(config, now - back, now, now);
    const ring: string[] = [];
    let seen = 0;
    for (let r = sim.nextRecord(); r; r = sim.nextRecord()) {
      ring[seen++ % n] = r.json;
    }
    const start = seen % n;
    last = seen <= n ? ring : [...ring.slice(start), ...ring.slice(0, start)];
    if (seen >= n) break;
  }
  return last;
}

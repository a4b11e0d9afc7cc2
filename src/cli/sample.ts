/**
 * `tvstream sample`: print N events as JSON lines.
 *
 * @module
 */
import { DEFAULT_HOUSEHOLDS, type SampleConfig } from "../config.ts";
import { createSimulator } from "../model/simulator.ts";
import { catalogOf } from "../model/catalog.ts";
import { placeIncidents } from "../world/incidents.ts";
import { advertiserNames } from "../model/faker.ts";
import { Utf8Lines } from "../kafka/lines.ts";
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
  const lines = new Utf8Lines();
  const print = async (json: string) => {
    lines.push(
      config.pretty ? JSON.stringify(JSON.parse(json), null, 2) : json,
    );
    if (lines.size >= 1 << 20) {
      await write(lines.view());
      lines.clear();
    }
  };
  if (g.fromMs !== undefined) {
    const sim = simulator(config, g.fromMs, g.toMs, g.fromMs);
    for (let i = 0; i < limit; i++) {
      const r = sim.nextRecord();
      if (!r) break;
      await print(r.json);
    }
  } else {
    for (const json of lastEvents(config, limit, Date.now())) await print(json);
  }
  await write(lines.view());
  return 0;
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
  const g = config.generator;
  return createSimulator({
    seed: g.seed,
    households: g.households ?? g.world?.population?.households ??
      DEFAULT_HOUSEHOLDS,
    startMs,
    advertisers: advertisers ??= advertiserNames(),
    ...(endMs !== undefined ? { endMs } : {}),
    ...(g.shard ? { shard: g.shard } : {}),
    ...(g.world ? { catalog: catalogOf(g.world) } : {}),
    ...(g.incidents
      ? { incidents: placeIncidents(g.incidents, anchorMs) }
      : {}),
  });
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

/**
 * `tvstream sample`: print N events as JSON lines.
 *
 * @module
 */
import { DEFAULT_HOUSEHOLDS, type SampleConfig } from "../config.ts";
import { createSimulator } from "../model/simulator.ts";
import { advertiserNames } from "../model/faker.ts";
import { Utf8Lines } from "../kafka/lines.ts";

/** Prints `config.count` events to `write`, as UTF-8; returns the exit code. */
export async function runSample(
  config: SampleConfig,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<number> {
  const g = config.generator;
  // Without --from, the events of now: the world as it is at this instant.
  const startMs = g.fromMs ?? Date.now();
  const endMs = g.toMs;
  const sim = createSimulator({
    seed: g.seed,
    households: g.households ?? DEFAULT_HOUSEHOLDS,
    startMs,
    advertisers: advertiserNames(),
    ...(endMs !== undefined ? { endMs } : {}),
  });
  const limit = g.events !== undefined
    ? Math.min(g.events, config.count)
    : config.count;
  const lines = new Utf8Lines();
  for (let i = 0; i < limit; i++) {
    const r = sim.nextRecord();
    if (!r) break;
    lines.push(
      config.pretty ? JSON.stringify(JSON.parse(r.json), null, 2) : r.json,
    );
    if (lines.size >= 1 << 20) {
      await write(lines.view());
      lines.clear();
    }
  }
  await write(lines.view());
  return 0;
}

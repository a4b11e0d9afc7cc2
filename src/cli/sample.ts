/**
 * `tvstream sample`: print N events as JSON lines.
 *
 * @module
 */
import { type Config, DEFAULT_HOUSEHOLDS } from "../config.ts";
import { createSimulator } from "../core/simulator.ts";
import { DAY_MS } from "../core/time.ts";
import { advertiserNames } from "../adapters/faker.ts";

/** Prints `config.count` events to `write`; returns the exit code. */
export async function runSample(
  config: Config,
  write: (text: string) => Promise<void>,
): Promise<number> {
  const g = config.generator;
  // Without --from, sample the day that just ended: timestamps stay in the past.
  const now = Date.now();
  const startMs = g.fromMs ?? now - DAY_MS;
  const endMs = g.toMs ?? (g.fromMs === undefined ? now : undefined);
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
  let out = "";
  for (let i = 0; i < limit; i++) {
    const e = sim.next();
    if (!e) break;
    out += (config.pretty ? JSON.stringify(e, null, 2) : JSON.stringify(e)) +
      "\n";
    if (out.length > 1 << 20) {
      await write(out);
      out = "";
    }
  }
  await write(out);
  return 0;
}

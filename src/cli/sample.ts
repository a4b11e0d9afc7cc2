/**
 * `tvstream sample`: print N events as JSON lines.
 *
 * @module
 */
import { type Config, DEFAULT_HOUSEHOLDS } from "../config.ts";
import { createSimulator } from "../core/simulator.ts";
import { DAY_MS } from "../core/time.ts";
import { advertiserNames } from "../adapters/faker.ts";

/** Prints `config.count` events to `write`, as UTF-8; returns the exit code. */
export async function runSample(
  config: Config,
  write: (bytes: Uint8Array) => Promise<void>,
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
  // Each event is encoded into one reused buffer as it comes: its text is
  // a rope that dies young this way, instead of a megabyte of ropes that
  // survive to be flattened at once.
  const encoder = new TextEncoder();
  const buffer = new Uint8Array(1 << 20);
  let used = 0;
  for (let i = 0; i < limit; i++) {
    const r = sim.nextRecord();
    if (!r) break;
    const text = config.pretty
      ? JSON.stringify(JSON.parse(r.json), null, 2)
      : r.json;
    // At most three UTF-8 bytes per UTF-16 unit, and the newline.
    const most = text.length * 3 + 1;
    if (used + most > buffer.length) {
      await write(buffer.subarray(0, used));
      used = 0;
    }
    if (most > buffer.length) {
      await write(encoder.encode(text + "\n"));
      continue;
    }
    used += encoder.encodeInto(text, buffer.subarray(used)).written;
    buffer[used++] = 10;
  }
  await write(buffer.subarray(0, used));
  return 0;
}

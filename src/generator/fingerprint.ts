/**
 * The identity of a generated stream: the flags that decide its events.
 * A checkpoint records it, so that a restart with other flags (another
 * seed, window, rate, slice or scenario) is refused instead of mixing two
 * streams in one warehouse.
 *
 * @module
 */
import type { GeneratorSettings } from "../config.ts";

/** The stream `settings` generate into `topic`, as a string. */
export function streamFingerprint(
  topic: string,
  g: GeneratorSettings,
): string {
  return JSON.stringify([
    topic,
    g.seed,
    g.households ?? null,
    g.fromMs ?? null,
    g.toMs ?? null,
    // Each of these is appended only when set, so that checkpoints written
    // before it existed still match. A live stream's audience is thinned
    // to its rate: another rate is another stream.
    ...(g.fromMs === undefined && g.rate ? [g.rate] : []),
    ...(g.shard ? [`shard ${g.shard.index + 1}/${g.shard.count}`] : []),
    ...(g.scenarioHash ? [`scenario ${g.scenarioHash}`] : []),
    ...(g.incidents?.length
      ? [`incidents ${JSON.stringify(g.incidents)}`]
      : []),
  ]);
}

/** The flags a fingerprint covers, for the message that refuses a resume. */
export const FINGERPRINT_FLAGS =
  "--topic/--seed/--households/--from/--to/--rate/--shard/--scenario/--incident";

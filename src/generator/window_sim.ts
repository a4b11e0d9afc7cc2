/**
 * The simulator of a window of a configured stream, as `sample` and its
 * sampler workers build it.
 *
 * @module
 */
import {
  DEFAULT_HOUSEHOLDS,
  type GeneratorSettings,
  type Shard,
} from "../config.ts";
import { catalogOf } from "../model/catalog.ts";
import { createSimulator, type Simulator } from "../model/simulator.ts";
import { placeIncidents } from "../world/incidents.ts";

/**
 * A simulator of [startMs, endMs) of the stream `g` describes, or of its
 * `shard` (by default `g`'s own); `HH:MM` incidents fall on the day of
 * `anchorMs`.
 */
export function windowSimulator(
  g: GeneratorSettings,
  startMs: number,
  endMs: number | undefined,
  anchorMs: number,
  advertisers: readonly string[],
  shard: Shard | undefined = g.shard,
): Simulator {
  return createSimulator({
    seed: g.seed,
    households: g.households ?? g.world?.population?.households ??
      DEFAULT_HOUSEHOLDS,
    startMs,
    advertisers,
    ...(endMs !== undefined ? { endMs } : {}),
    ...(shard ? { shard } : {}),
    ...(g.world ? { catalog: catalogOf(g.world) } : {}),
    ...(g.incidents
      ? { incidents: placeIncidents(g.incidents, anchorMs) }
      : {}),
  });
}

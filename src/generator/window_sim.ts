/**
 * How a configured stream's settings become a simulator: the one mapping
 * the generator loop, `sample` and its sampler workers share.
 *
 * @module
 */
import {
  DEFAULT_HOUSEHOLDS,
  type GeneratorSettings,
  type Shard,
} from "../config.ts";
import { catalogOf } from "../model/catalog.ts";
import {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from "../model/simulator.ts";
import { placeIncidents } from "../world/incidents.ts";

/** Households when `--households` is not given: the scenario's, or the default. */
export function defaultHouseholds(g: GeneratorSettings): number {
  return g.world?.population?.households ?? DEFAULT_HOUSEHOLDS;
}

/**
 * What every simulator of `g`'s stream is built with: its seed, world,
 * incidents (`HH:MM` on the day of `anchorMs`) and shard (by default `g`'s
 * own).
 */
export function streamOptions(
  g: GeneratorSettings,
  anchorMs: number,
  advertisers: readonly string[],
  shard: Shard | undefined = g.shard,
): Pick<
  SimulatorOptions,
  "seed" | "advertisers" | "shard" | "catalog" | "incidents"
> {
  return {
    seed: g.seed,
    advertisers,
    ...(shard ? { shard } : {}),
    ...(g.world ? { catalog: catalogOf(g.world) } : {}),
    ...(g.incidents
      ? { incidents: placeIncidents(g.incidents, anchorMs) }
      : {}),
  };
}

/**
 * A simulator of [startMs, endMs) of the stream `g` describes, or of its
 * `shard`; `HH:MM` incidents fall on the day of `anchorMs`.
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
    ...streamOptions(g, anchorMs, advertisers, shard),
    households: g.households ?? defaultHouseholds(g),
    startMs,
    ...(endMs !== undefined ? { endMs } : {}),
  });
}

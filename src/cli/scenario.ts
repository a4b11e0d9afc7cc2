/**
 * `tvstream scenario`: checks a scenario (one line: what it holds, or what
 * is wrong) or prints it as JSON; and loading the `--scenario` of any
 * command into its config before work starts.
 *
 * @module
 */
import {
  type Config,
  DEFAULT_HOUSEHOLDS,
  type ScenarioConfig,
} from "../config.ts";
import { DEFAULT_SCENARIO, loadScenario } from "../world/scenario.ts";
import { lineupOf, WORLD, type World } from "../world/world.ts";
import {
  type IncidentKind,
  type IncidentSpec,
  incidentSpec,
} from "../world/incidents.ts";
import { incidentTargetProblem } from "../world/world_problems.ts";
import { UsageError } from "../errors.ts";
import { eventJsonSchema, registerEventTypes } from "../model/event.ts";
import { extraTypesOf } from "../world/event_types.ts";

/**
 * Loads the config's `--scenario`, if it has one, into its settings, with
 * its incidents before the `--incident`s; checks every incident's targets
 * against the world. Throws a UsageError.
 */
export async function loadConfigScenario(config: Config): Promise<void> {
  if (config.command === "validate") {
    const scenario = config.scenario === undefined
      ? undefined
      : await loadScenario(config.scenario);
    if (scenario) config.world = scenario.world;
    const incidents = allIncidents(scenario?.world ?? WORLD, config.incidents);
    if (incidents.length > 0) config.incidents = incidents;
    return;
  }
  if (!("generator" in config)) return;
  const g = config.generator;
  let world = WORLD;
  // The default world needs no loading, and leaves the stream's identity
  // (its checkpoints' fingerprint) as it was before scenarios existed.
  if (g.scenario !== undefined && g.scenario !== DEFAULT_SCENARIO) {
    const scenario = await loadScenario(g.scenario);
    g.world = world = scenario.world;
    g.scenarioHash = scenario.hash;
  }
  const incidents = allIncidents(world, g.incidents);
  if (incidents.length > 0) g.incidents = incidents;
}

/** The world's incidents, then the flags', each target checked. */
function allIncidents(
  world: World,
  flags: readonly IncidentSpec[] = [],
): IncidentSpec[] {
  for (const spec of flags) {
    const problem = incidentTargetProblem(world, spec);
    if (problem) {
      throw new UsageError(`Cannot use --incident ${spec.kind}: ${problem}`);
    }
  }
  // Checked when the scenario was loaded.
  const own = (world.incidents ?? []).map(({ kind, ...fields }) =>
    incidentSpec(kind as IncidentKind, fields, (why) => new UsageError(why))
  );
  return [...own, ...flags];
}

/** Checks or prints the scenario; returns the exit code. */
export async function runScenario(
  config: ScenarioConfig,
  write: (text: string) => Promise<void>,
): Promise<number> {
  const { world, hash } = await loadScenario(config.scenario);
  if (config.print) {
    await write(JSON.stringify(world, null, 2) + "\n");
    return 0;
  }
  if (config.eventSchema) {
    registerEventTypes(extraTypesOf(world));
    await write(JSON.stringify(eventJsonSchema(), null, 2) + "\n");
    return 0;
  }
  const vod = world.services.filter((s) => s.catalog > 0).length;
  const live = world.services.filter((s) => lineupOf(world, s).length > 0)
    .length;
  const n = (count: number, noun: string) =>
    `${count} ${noun}${count === 1 ? "" : "s"}`;
  await write(
    `scenario "${config.scenario}" (${world.name}) is valid: ${
      n(world.cities.length, "city").replace("citys", "cities")
    }, ${n(world.operators.length, "operator")}, ${
      n(world.channels.length, "channel")
    }, ${
      n(world.services.length, "service")
    } (${live} live, ${vod} on demand), ${
      world.population?.households ?? DEFAULT_HOUSEHOLDS
    } households by default; sha256 ${hash.slice(0, 16)}\n`,
  );
  return 0;
}

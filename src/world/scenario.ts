/**
 * Scenarios: the world tvstream simulates, as a file a user can change
 * without code. A scenario is a built-in name (`belgium`, the default, or
 * `demo`) or a JSON or YAML file with the same shape; it is checked against its
 * JSON Schema, then for cross-references (line-ups name channels, operators
 * name their apps...), and a mistake is one line naming the file, the line,
 * the path and what was expected.
 *
 * @module
 */
import belgium from "./belgium.json" with { type: "json" };
import demo from "./demo.json" with { type: "json" };
import { JsonSyntaxError, parseLocated } from "./json_located.ts";
import { parseYamlLocated } from "./yaml_located.ts";
import { SCENARIO_SCHEMA } from "./scenario_schema.ts";
import { schemaProblem } from "./schema_check.ts";
import { worldProblem } from "./world_problems.ts";
import type { World } from "./world.ts";
import { UsageError } from "../errors.ts";

/** A loaded scenario: its world and the hash that names its content. */
export interface Scenario {
  /** The built-in name, or the file's path. */
  source: string;
  world: World;
  /** SHA-256 (hex) of the world's JSON: another scenario, another stream. */
  hash: string;
}

/** Built-in scenarios, by name. */
export const BUILT_IN: Readonly<Record<string, unknown>> = { belgium, demo };

/** The scenario used when none is given. */
export const DEFAULT_SCENARIO = "belgium";

/** A scenario that cannot be used: one line naming where and what. */
export class ScenarioError extends UsageError {
  /** An error about `source`. */
  constructor(source: string, detail: string) {
    super(`Cannot use scenario "${source}": ${detail}`);
    this.name = "ScenarioError";
  }
}

/** Loads a built-in scenario by name or a scenario file by path. */
export async function loadScenario(spec: string): Promise<Scenario> {
  if (Object.hasOwn(BUILT_IN, spec)) {
    const world = BUILT_IN[spec] as World;
    return { source: spec, world, hash: await hashOf(world) };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(spec);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `no such file (built-in scenarios: ${Object.keys(BUILT_IN).join(", ")})`
      : (error as Error).message;
    throw new ScenarioError(spec, why);
  }
  const world = parseScenario(spec, text);
  return { source: spec, world, hash: await hashOf(world) };
}

/** Parses and checks a scenario file's text; throws {@linkcode ScenarioError}. */
export function parseScenario(source: string, text: string): World {
  const yaml = /\.ya?ml$/i.test(source);
  let located;
  try {
    located = yaml ? parseYamlLocated(text) : parseLocated(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new ScenarioError(
      source,
      `line ${error.line}: not valid ${
        yaml ? "YAML" : "JSON"
      }: ${error.message}`,
    );
  }
  const { value, lines } = located;
  const problem = schemaProblem(SCENARIO_SCHEMA, value) ??
    worldProblem(value as World);
  if (problem) {
    const line = lineOf(lines, problem.path);
    const where = problem.path === "" ? "the top level" : problem.path;
    throw new ScenarioError(
      source,
      `line ${line}, ${where}: ${
        problem.problem ??
          `expected ${problem.expected}${
            problem.got !== undefined ? `, got ${problem.got}` : ""
          }`
      }`,
    );
  }
  return value as World;
}

/** The line of a path, or of its nearest parent that has one (a missing key). */
function lineOf(lines: Map<string, number>, path: string): number {
  let p = path;
  for (;;) {
    const line = lines.get(p);
    if (line !== undefined || p === "") return line ?? 1;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    p = cut < 0 ? "" : p.slice(0, cut);
  }
}

async function hashOf(world: World): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(world));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

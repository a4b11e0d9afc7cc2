/**
 * The cross-references of a world that its JSON Schema cannot state: ids
 * are unique, line-ups name channels, operators and their apps name each
 * other, regional channels name a province, and every populated region can
 * be drawn from. Run after the schema check, so every field has its type.
 * Pure.
 *
 * @module
 */
import type { SchemaProblem } from "./schema_check.ts";
import { type FieldGenerator, lineupOf, type World } from "./world.ts";
import { isBuiltIn } from "../model/event.ts";
import { kindOf } from "./event_types.ts";
import {
  type IncidentKind,
  type IncidentSpec,
  incidentSpec,
} from "./incidents.ts";

type Check = (w: World) => SchemaProblem | undefined;

/** The first cross-reference `world` gets wrong, or undefined. */
export function worldProblem(world: World): SchemaProblem | undefined {
  for (const check of CHECKS) {
    const problem = check(world);
    if (problem) return problem;
  }
}

/** The first repeated value of `key` in `items` at `path`. */
function duplicate<T>(
  items: readonly T[],
  path: string,
  key: keyof T & string,
): SchemaProblem | undefined {
  const seen = new Set<unknown>();
  for (let i = 0; i < items.length; i++) {
    const v = items[i]![key];
    if (seen.has(v)) {
      return {
        path: `${path}[${i}].${key}`,
        expected: `each ${key} only once in ${path}`,
        got: JSON.stringify(v),
      };
    }
    seen.add(v);
  }
}

const uniqueIds: Check = (w) =>
  duplicate(w.cities, "cities", "name") ??
    duplicate(w.operators, "operators", "id") ??
    duplicate(w.channels, "channels", "id") ??
    duplicate(w.services, "services", "id");

const lineups: Check = (w) => {
  const channels = new Set(w.channels.map((c) => c.id));
  for (const [i, s] of w.services.entries()) {
    const spec = s.lineup.trim();
    const ids = spec.startsWith("*") ? spec.slice(2) : spec;
    for (const id of ids.split(",").map((x) => x.trim()).filter(Boolean)) {
      if (!channels.has(id)) {
        return {
          path: `services[${i}].lineup`,
          expected: "ids of channels in `channels`",
          got: `"${id}", which is not one`,
        };
      }
    }
    if (s.kind === "operator" || s.kind === "broadcaster") {
      if (lineupOf(w, s).length === 0) {
        return {
          path: `services[${i}].lineup`,
          expected: `at least one channel (a ${s.kind} app streams live)`,
          got: JSON.stringify(s.lineup),
        };
      }
    }
  }
};

const operatorApps: Check = (w) => {
  const services = new Map(w.services.map((s) => [s.id, s]));
  for (const [i, o] of w.operators.entries()) {
    const app = services.get(o.service);
    if (!app || app.kind !== "operator") {
      return {
        path: `operators[${i}].service`,
        expected: "the id of a service of kind operator",
        got: JSON.stringify(o.service),
      };
    }
  }
  const operators = new Set(w.operators.map((o) => o.id));
  for (const [i, s] of w.services.entries()) {
    if (s.kind === "operator" && !operators.has(s.operator ?? "")) {
      return {
        path: `services[${i}].operator`,
        expected: "the id of an operator in `operators`",
        got: s.operator === undefined ? "nothing" : JSON.stringify(s.operator),
      };
    }
  }
};

const provinces: Check = (w) => {
  const known = new Set(w.cities.map((c) => c.province));
  for (const [i, c] of w.channels.entries()) {
    if (c.province !== undefined && !known.has(c.province)) {
      return {
        path: `channels[${i}].province`,
        expected: `a province of one of the cities (${[...known].join(", ")})`,
        got: JSON.stringify(c.province),
      };
    }
  }
};

const regions: Check = (w) => {
  const codes = ["VLG", "WAL", "BRU"] as const;
  if (codes.every((r) => w.regions[r].households === 0)) {
    return { path: "regions", expected: "a region with households above 0" };
  }
  for (const r of codes) {
    if (w.regions[r].households === 0) continue;
    if (!w.cities.some((c) => c.regionCode === r)) {
      return {
        path: `regions.${r}.households`,
        expected: `0, or a city with regionCode "${r}"`,
        got: String(w.regions[r].households),
      };
    }
    if (!w.operators.some((o) => o.share[r] > 0)) {
      return {
        path: "operators",
        expected: `an operator with a share above 0 in ${r}`,
      };
    }
  }
};

const sharesAdd: Check = (w) => {
  for (const [i, s] of w.services.entries()) {
    if (!Object.values(s.cdns).some((v) => v > 0)) {
      return {
        path: `services[${i}].cdns`,
        expected: "at least one CDN with a share above 0",
      };
    }
  }
  for (const [type, d] of Object.entries(w.devices)) {
    if (!Object.values(d.networks).some((v) => v > 0)) {
      return {
        path: `devices.${type}.networks`,
        expected: "at least one network with a share above 0",
      };
    }
    if (type !== "STB" && !Object.values(d.os).some((v) => v > 0)) {
      return {
        path: `devices.${type}.os`,
        expected: "at least one OS with a share above 0",
      };
    }
  }
  if (!w.services.some((s) => s.catalog > 0 && (s.weight ?? 0) > 0)) {
    return {
      path: "services",
      expected: "an on-demand service (catalog and weight above 0)",
    };
  }
};

const population: Check = (w) => {
  const p = w.population;
  if (p?.sizes && p.sizes.length > 6) {
    return {
      path: "population.sizes",
      expected: "at most 6 shares (households of 1 to 6 members)",
      got: `${p.sizes.length}`,
    };
  }
  if (p?.tvs && p.tvs.length > 4) {
    return {
      path: "population.tvs",
      expected: "at most 4 shares (1 to 4 TV sets)",
      got: `${p.tvs.length}`,
    };
  }
  for (const key of ["sizes", "tvs"] as const) {
    if (p?.[key] && !p[key]!.some((v) => v > 0)) {
      return {
        path: `population.${key}`,
        expected: "a share above 0",
      };
    }
  }
};

/** The names an incident's targets must be among, in `world`. */
function targetsOf(world: World): Record<string, string[]> {
  return {
    cdn: [...new Set(world.services.flatMap((s) => Object.keys(s.cdns)))],
    isp: world.operators.map((o) => o.id),
    os: [
      ...new Set([
        ...Object.values(world.devices).flatMap((d) => Object.keys(d.os)),
        ...world.operators.map((o) => o.box),
      ]),
    ],
    service: world.services.map((s) => s.id),
    channel: world.channels.map((c) => c.id),
  };
}

/** What is wrong with an incident's targets in `world`, or undefined. */
export function incidentTargetProblem(
  world: World,
  spec: IncidentSpec,
): string | undefined {
  const known = targetsOf(world);
  for (const [key, names] of Object.entries(known)) {
    const v = (spec as unknown as Record<string, string | undefined>)[key];
    if (v !== undefined && !names.includes(v)) {
      return `no ${key} "${v}" in the scenario (known: ${names.join(", ")})`;
    }
  }
}

const incidents: Check = (w) => {
  for (const [i, inc] of (w.incidents ?? []).entries()) {
    const { kind, ...fields } = inc;
    let spec: IncidentSpec;
    try {
      spec = incidentSpec(
        kind as IncidentKind,
        fields,
        (why) => new Error(why),
      );
    } catch (error) {
      return {
        path: `incidents[${i}]`,
        expected: "",
        problem: (error as Error).message,
      };
    }
    const problem = incidentTargetProblem(w, spec);
    if (problem) return { path: `incidents[${i}]`, expected: "", problem };
  }
};

const eventTypes: Check = (w) => {
  const kinds = new Map<string, string>();
  for (const [i, t] of (w.eventTypes ?? []).entries()) {
    const at = `eventTypes[${i}]`;
    if (isBuiltIn(t.name)) {
      return {
        path: `${at}.name`,
        expected: "a name that is not a built-in event type or field",
        got: JSON.stringify(t.name),
      };
    }
    const dup = duplicate(w.eventTypes!.slice(0, i + 1), "eventTypes", "name");
    if (dup) return dup;
    for (const [name, g] of Object.entries(t.fields)) {
      const path = `${at}.fields.${name}`;
      if (!/^[a-z][A-Za-z0-9]*$/.test(name) || isBuiltIn(name)) {
        return {
          path,
          expected: "",
          problem:
            `field name "${name}": expected camelCase letters and digits, not a built-in field`,
        };
      }
      const problem = generatorProblem(g);
      if (problem) return { path, expected: "", problem };
      const kind = kindOf(g);
      const before = kinds.get(name);
      if (before !== undefined && before !== kind) {
        return {
          path,
          expected: `${before} values, as the field has in an earlier type`,
          got: `${kind} values`,
        };
      }
      kinds.set(name, kind);
    }
  }
};

/** What is wrong with a field generator's values, if anything. */
function generatorProblem(g: FieldGenerator): string | undefined {
  if ("choice" in g) {
    const types = new Set(g.choice.map((v) => typeof v));
    if (types.size > 1) {
      return "choice values must all be strings, all numbers or all booleans";
    }
  }
  const range = "uniform" in g ? g.uniform : undefined;
  if (range && !(range[0] < range[1])) {
    return `uniform needs [min, max] with min < max, got [${range.join(", ")}]`;
  }
  if ("lognormal" in g && !(g.lognormal[0] > 0 && g.lognormal[1] >= 0)) {
    return "lognormal needs [median, sigma] with a median above 0";
  }
}

const CHECKS: readonly Check[] = [
  uniqueIds,
  lineups,
  operatorApps,
  provinces,
  regions,
  sharesAdd,
  population,
  incidents,
  eventTypes,
];

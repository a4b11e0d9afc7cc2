/**
 * Checks a value against a JSON Schema of the subset scenario files use
 * (type, properties, required, additionalProperties, items, minItems,
 * enum, minimum, maximum, minLength, pattern, anyOf) and names the first
 * mistake by path. Pure.
 *
 * @module
 */
import { childPath } from "./json_located.ts";
import type { Schema } from "./scenario_schema.ts";

/** A value that does not match its schema: where, and what was expected. */
export interface SchemaProblem {
  path: string;
  expected: string;
  /** What was there instead, when it says more than the expectation. */
  got?: string;
  /** Said instead of "expected ...", when no expectation fits. */
  problem?: string;
}

/** Describes a value in a few words, for "got ...". */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    return JSON.stringify(
      value.length > 40 ? value.slice(0, 40) + "..." : value,
    );
  }
  return String(value);
}

function typeOk(type: Schema["type"], value: unknown): boolean {
  switch (type) {
    case undefined:
      return true;
    case "object":
      return typeof value === "object" && value !== null &&
        !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "null":
      return value === null;
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
  }
}

const A: Record<string, string> = {
  object: "an object",
  array: "an array",
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  null: "null",
};

/** What a schema's type and enum ask for, in words. */
function expectation(schema: Schema): string {
  if (schema.enum) {
    return schema.enum.length === 1
      ? JSON.stringify(schema.enum[0])
      : `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (schema.anyOf) return schema.anyOf.map(expectation).join(" or ");
  return A[schema.type ?? ""] ?? "a value";
}

/** The first place `value` breaks `schema`, or undefined. */
export function schemaProblem(
  schema: Schema,
  value: unknown,
  path = "",
): SchemaProblem | undefined {
  const got = describe(value);
  if (schema.anyOf) {
    if (schema.anyOf.some((s) => !schemaProblem(s, value, path))) return;
    return { path, expected: schema.description ?? expectation(schema), got };
  }
  if (!typeOk(schema.type, value)) {
    return { path, expected: expectation(schema), got };
  }
  if (schema.enum && !schema.enum.includes(value as string)) {
    return { path, expected: expectation(schema), got };
  }
  if (typeof value === "number") return numberProblem(schema, value, path);
  if (typeof value === "string") return stringProblem(schema, value, path);
  if (Array.isArray(value)) return arrayProblem(schema, value, path);
  if (typeof value === "object" && value !== null) {
    return objectProblem(schema, value as Record<string, unknown>, path);
  }
}

function numberProblem(
  schema: Schema,
  value: number,
  path: string,
): SchemaProblem | undefined {
  const { minimum: min, maximum: max } = schema;
  if (
    (min !== undefined && value < min) || (max !== undefined && value > max)
  ) {
    const range = min !== undefined && max !== undefined
      ? `between ${min} and ${max}`
      : min !== undefined
      ? `at least ${min}`
      : `at most ${max}`;
    return { path, expected: `a number ${range}`, got: String(value) };
  }
}

function stringProblem(
  schema: Schema,
  value: string,
  path: string,
): SchemaProblem | undefined {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return { path, expected: "a non-empty string" };
  }
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
    return {
      path,
      expected: schema.description ?? `text matching ${schema.pattern}`,
      got: describe(value),
    };
  }
}

function arrayProblem(
  schema: Schema,
  value: unknown[],
  path: string,
): SchemaProblem | undefined {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    return {
      path,
      expected: `at most ${schema.maxItems} items`,
      got: describe(value),
    };
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    return {
      path,
      expected: `at least ${schema.minItems} item${
        schema.minItems === 1 ? "" : "s"
      }`,
      got: describe(value),
    };
  }
  if (!schema.items) return;
  for (let i = 0; i < value.length; i++) {
    const p = schemaProblem(schema.items, value[i], childPath(path, i));
    if (p) return p;
  }
}

function objectProblem(
  schema: Schema,
  value: Record<string, unknown>,
  path: string,
): SchemaProblem | undefined {
  const props = schema.properties ?? {};
  // An unknown key first: a misspelt key is also a missing one.
  if (schema.additionalProperties === false) {
    for (const key of Object.keys(value)) {
      if (Object.hasOwn(props, key)) continue;
      const near = nearest(key, Object.keys(props));
      return {
        path: childPath(path, key),
        expected: "",
        problem: near
          ? `unknown key; did you mean "${near}"?`
          : `unknown key; expected one of ${Object.keys(props).join(", ")}`,
      };
    }
  }
  for (const key of schema.required ?? []) {
    if (!Object.hasOwn(value, key)) {
      const what = props[key]?.description;
      return {
        path: childPath(path, key),
        expected: `key "${key}"${what ? ` (${what})` : ""}`,
        got: "nothing",
      };
    }
  }
  for (const [key, v] of Object.entries(value)) {
    const child = childPath(path, key);
    const sub = props[key] ??
      (typeof schema.additionalProperties === "object"
        ? schema.additionalProperties
        : undefined);
    const p = sub ? schemaProblem(sub, v, child) : undefined;
    if (p) return p;
  }
}

/** The known key `key` is most likely a misspelling of, if any. */
function nearest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

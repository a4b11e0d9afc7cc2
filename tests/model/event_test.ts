/**
 * Every emitted event matches `tvstream schema`'s JSON Schema, checked by a
 * small independent JSON Schema evaluator (not by eventProblem()).
 */
import assert from "node:assert/strict";
import {
  eventJsonSchema,
  eventProblem,
  ID_CHECKS,
  ID_PATTERNS,
} from "../../src/model/event.ts";
import { events } from "../_helpers.ts";

type Schema = Record<string, unknown>;

function matches(schema: Schema, value: unknown): boolean {
  if ("const" in schema) return value === schema.const;
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || value === null) return false;
      const v = value as Record<string, unknown>;
      const props = schema.properties as Record<string, Schema>;
      for (const r of schema.required as string[]) if (!(r in v)) return false;
      for (const [k, x] of Object.entries(v)) {
        if (!props[k]) return schema.additionalProperties !== false;
        if (!matches(props[k]!, x)) return false;
      }
      return true;
    }
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "string":
      if (typeof value !== "string") return false;
      if (
        typeof schema.pattern === "string" &&
        !new RegExp(schema.pattern).test(value)
      ) return false;
      return value.length >= ((schema.minLength as number) ?? 0);
  }
  return false;
}

Deno.test("every emitted event matches exactly one branch of the JSON Schema", () => {
  const schema = eventJsonSchema();
  const branches = schema.oneOf as Schema[];
  const sample = events(60_000, {
    households: 300,
    from: "2026-11-05T16:00:00Z",
  });
  const seen = new Set<string>();
  for (const e of sample) {
    const hits = branches.filter((b) => matches(b, e));
    assert.equal(hits.length, 1, JSON.stringify(e));
    seen.add(e.event);
  }
  assert.ok(seen.size >= 20, `types seen: ${[...seen]}`);
});

Deno.test("eventProblem() names what is wrong", () => {
  const e = events(1)[0]!;
  assert.equal(eventProblem(e), undefined);
  assert.match(
    eventProblem({ ...e, event: "teleport" })!,
    /unknown event type/,
  );
  assert.match(eventProblem({ ...e, timestamp: "yesterday" })!, /ISO-8601/);
  assert.match(
    eventProblem({ ...e, timestamp: "1970-01-01T00:00:00.000Z" })!,
    /in 2000-2099/,
  );
  assert.match(
    eventProblem({ ...e, timestamp: "2026-02-30T00:00:00.000Z" })!,
    /impossible time/,
  );
  // Identifiers have the formats the JSON Schema publishes.
  assert.match(eventProblem({ ...e, tvId: "TV_12" })!, /"tvId" must match/);
  assert.match(
    eventProblem({ ...e, userId: "user-1" })!,
    /"userId" must match/,
  );
  assert.match(
    eventProblem({ ...e, householdId: "HH_x" })!,
    /"householdId" must match/,
  );
  assert.match(
    eventProblem({ ...e, eventId: "1234" })!,
    /"eventId" must match/,
  );
  const { tvId: _, ...missing } = e;
  assert.match(eventProblem(missing)!, /missing field "tvId"/);
  assert.match(eventProblem({ ...e, extra: 1 })!, /unknown field "extra"/);
  assert.match(eventProblem([1])!, /not a JSON object/);
  // Integer fields are Parquet INT32 columns: larger values would not fit.
  const start = events(500).find((x) => x.event === "app_start")!;
  assert.equal(eventProblem(start), undefined);
  const tvCount = { ...start, tvCount: 2 ** 31 };
  assert.match(eventProblem(tvCount)!, /"tvCount" must be a 32-bit integer/);
  assert.match(eventProblem({ ...tvCount, tvCount: 1.5 })!, /32-bit integer/);
});

Deno.test("the JSON Schema publishes the identifier formats the consumer enforces", () => {
  const schema = eventJsonSchema() as {
    oneOf: { properties: Record<string, { pattern?: string }> }[];
  };
  for (const variant of schema.oneOf) {
    for (const [name, re] of Object.entries(ID_PATTERNS)) {
      assert.equal(variant.properties[name]?.pattern, re!.source, name);
    }
  }
  for (const e of events(2000)) {
    for (const [name, re] of Object.entries(ID_PATTERNS)) {
      assert.match(String(e[name as keyof typeof e]), re!);
    }
  }
});

Deno.test("the consumer's identifier checks give the published patterns' answers", () => {
  const e = events(300);
  const cases: Record<string, string[]> = {
    eventId: [
      ...e.map((x) => String(x.eventId)),
      "",
      "00000000-0000-4000-8000-00000000000",
      "00000000-0000-4000-8000-0000000000000",
      "00000000-0000-4000-8000-00000000000G",
      "00000000-0000-4000-8000-00000000000A",
      "00000000_0000-4000-8000-000000000000",
      "x".repeat(36),
    ],
    householdId: [
      ...e.map((x) => String(x.householdId)),
      "HH_",
      "HH_12345",
      "HH_123456",
      "HH_1234567",
      "hh_123456",
      "HH_12345a",
      "HH_123456\n",
    ],
    userId: [
      ...e.map((x) => String(x.userId)),
      "U_123456",
      "U_1234567",
      "U_12345678",
      "U_123456x",
      "V_1234567",
    ],
    tvId: [
      ...e.map((x) => String(x.tvId)),
      "TV_12345",
      "TV_123456",
      "TV_1234567",
      "TV_12345 ",
      " TV_123456",
    ],
  };
  for (const [name, values] of Object.entries(cases)) {
    const re = ID_PATTERNS[name as keyof typeof ID_PATTERNS]!;
    const check = ID_CHECKS[name as keyof typeof ID_CHECKS]!;
    for (const v of values) {
      assert.equal(check(v), re.test(v), `${name} ${JSON.stringify(v)}`);
    }
  }
});

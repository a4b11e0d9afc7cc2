/**
 * A scenario's added event types as the event contract sees them: each
 * field's kind, from how it is drawn. Pure.
 *
 * @module
 */
import type { ExtraEventType } from "../model/event.ts";
import type { FieldGenerator, World } from "./world.ts";

/** The faker methods a field may name (`module.method`, Belgian Dutch locale). */
export const FAKER_METHODS = [
  "person.firstName",
  "person.lastName",
  "person.fullName",
  "company.name",
  "location.city",
  "location.street",
  "internet.username",
  "internet.email",
  "commerce.productName",
  "color.human",
  "music.genre",
  "lorem.word",
] as const;

/** The Parquet and JSON kind of a field drawn by `g`. */
export function kindOf(
  g: FieldGenerator,
): "string" | "int" | "double" | "boolean" {
  if ("faker" in g) return "string";
  if ("choice" in g) {
    const values = g.choice;
    if (values.every((v) => typeof v === "boolean")) return "boolean";
    if (values.every((v) => typeof v === "string")) return "string";
    return values.every((v) => Number.isInteger(v)) ? "int" : "double";
  }
  return g.integer ? "int" : "double";
}

/** The world's added event types, for the event contract. */
export function extraTypesOf(world: World | undefined): ExtraEventType[] {
  return (world?.eventTypes ?? []).map((t) => ({
    name: t.name,
    inPlay: true,
    fields: Object.fromEntries(
      Object.entries(t.fields).map(([name, g]) => [name, kindOf(g)]),
    ),
  }));
}

/**
 * A scenario's own event types, drawn during plays and tunes: at each
 * heartbeat, each type fires with its chance per 10 s of play. With no
 * added types nothing is drawn, so the built-in stream is unchanged.
 *
 * @module
 */
import type { ScenarioEventType } from "../world/world.ts";
import { kindOf } from "../world/event_types.ts";
import { fakerValue } from "./faker.ts";
import type { Rng } from "./rng.ts";
import type { EventFields, SessionState } from "./session.ts";

/** An added event type, ready to draw. */
export interface ExtraType {
  name: string;
  during: ScenarioEventType["during"];
  /** Chance per heartbeat (10 s of play). */
  chance: number;
  /** Draws its fields as JSON text (`,"a":1,"b":"x"`). */
  draw(rng: Rng): string;
}

/** Compiles a scenario's added event types. */
export function compileExtraTypes(
  types: readonly ScenarioEventType[] = [],
): ExtraType[] {
  return types.map((t) => {
    const fields = Object.entries(t.fields).map(([name, g]) => {
      const key = `,${JSON.stringify(name)}:`;
      const whole = kindOf(g) === "int";
      if ("choice" in g) {
        const texts = g.choice.map((v) => key + JSON.stringify(v));
        return (rng: Rng) => texts[rng.int(texts.length)]!;
      }
      if ("faker" in g) {
        const method = g.faker;
        return (rng: Rng) =>
          key + JSON.stringify(fakerValue(method, rng.int(2 ** 31)));
      }
      const draw = "uniform" in g
        ? (rng: Rng) => rng.uniform(g.uniform[0], g.uniform[1])
        : (rng: Rng) => rng.lognormal(g.lognormal[0], g.lognormal[1]);
      return (rng: Rng) => {
        const v = draw(rng);
        return key + (whole ? Math.round(v) : Math.round(v * 1000) / 1000);
      };
    });
    return {
      name: t.name,
      during: t.during,
      chance: t.perHour * 10 / 3600,
      draw: (rng) => fields.map((f) => f(rng)).join(""),
    };
  });
}

/** Yields the added events that fire at this heartbeat of a play or tune. */
export function* extraEvents(
  s: SessionState,
  tag: string,
  where: "play" | "tune",
): Generator<EventFields> {
  for (const x of s.catalog.extraTypes) {
    if (x.during !== where && x.during !== "app") continue;
    if (!s.rng.chance(x.chance)) continue;
    const fields = x.draw(s.rng);
    if (s.on(x.name, s.t)) yield tag + fields;
  }
}

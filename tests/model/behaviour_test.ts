/**
 * Behaviour knobs: the defaults are the Belgian scenario's printed ones,
 * and each knob a scenario turns moves what the events show.
 */
import assert from "node:assert/strict";
import { createSimulator } from "../../src/model/simulator.ts";
import { catalogOf } from "../../src/model/catalog.ts";
import { householdCoreAt } from "../../src/model/household.ts";
import {
  type Behaviour,
  DEFAULT_BEHAVIOUR,
  WORLD,
  type World,
} from "../../src/world/world.ts";

Deno.test("the default behaviour is the one the Belgian scenario file prints", () => {
  assert.deepEqual(WORLD.behaviour, DEFAULT_BEHAVIOUR);
  assert.deepEqual(catalogOf(WORLD).behaviour, DEFAULT_BEHAVIOUR);
});

/** What a 120-household evening shows with `behaviour`. */
function evening(behaviour: Partial<Behaviour>) {
  const world = { ...structuredClone(WORLD), behaviour } as World;
  const sim = createSimulator({
    seed: 21,
    households: 120,
    startMs: Date.parse("2026-11-02T17:00:00Z"),
    endMs: Date.parse("2026-11-02T22:00:00Z"),
    advertisers: ["Acme"],
    catalog: catalogOf(world),
  });
  const n = {
    plays: 0,
    startFailures: 0,
    tunes: 0,
    surfs: 0,
    autoplays: 0,
    stalls: 0,
    heartbeats: 0,
    midrolls: 0,
  };
  for (let e = sim.next(); e; e = sim.next()) {
    const f = e as unknown as Record<string, unknown>;
    switch (f["event"]) {
      case "playback_start":
        n.plays++;
        if (f["autoplay"] === true) n.autoplays++;
        break;
      case "error":
        if (f["phase"] === "startup") n.startFailures++;
        break;
      case "channel_end":
        n.tunes++;
        if (f["isSurf"] === true) n.surfs++;
        break;
      case "buffer_start":
        if (f["cause"] === "network") n.stalls++;
        break;
      case "heartbeat":
        n.heartbeats++;
        break;
      case "ad_break_start":
        if (f["adPosition"] === "mid") n.midrolls++;
    }
  }
  return n;
}

Deno.test("each behaviour knob moves what the events show", () => {
  const base = evening({});
  const turned = evening({
    surfShare: 0.75,
    maxAutoplay: 0,
    startFailureRate: 0.2,
    rebuffering: 6,
    adLoad: 2.5,
  });
  assert.ok(base.autoplays > 0 && turned.autoplays === 0, "binge guard");
  const failures = (n: typeof base) => n.startFailures / n.plays;
  assert.ok(failures(base) < 0.04, `default start failures ${failures(base)}`);
  assert.ok(
    Math.abs(failures(turned) - 0.2) < 0.06,
    `start failures ${failures(turned)}`,
  );
  const surfs = (n: typeof base) => n.surfs / n.tunes;
  assert.ok(
    surfs(turned) > surfs(base) + 0.15,
    `${surfs(base)} -> ${surfs(turned)}`,
  );
  const stalls = (n: typeof base) => n.stalls / n.heartbeats;
  assert.ok(
    stalls(turned) > 3 * stalls(base),
    `${stalls(base)} -> ${stalls(turned)}`,
  );
  const mids = (n: typeof base) => n.midrolls / n.heartbeats;
  assert.ok(
    mids(turned) > 1.5 * mids(base),
    `${mids(base)} -> ${mids(turned)}`,
  );
});

Deno.test("a scenario's screen ownership shapes the households: no tablets, a console in every home", () => {
  const base = { ...structuredClone(WORLD) } as World;
  const world = structuredClone(WORLD) as World;
  world.population = {
    ...world.population!,
    devices: { tablet: 0, console: 1 },
  };
  assert.deepEqual(catalogOf(base).ownership, {
    ctvStick: 0.25,
    console: 0.15,
    tablet: 0.6,
    web: 0.5,
    childPhone: 0.6,
  });
  const count = (w: World, type: string) => {
    let n = 0;
    for (let i = 0; i < 400; i++) {
      n += householdCoreAt(7, i, catalogOf(w)).deviceTypes.filter((t) =>
        t === type
      ).length;
    }
    return n;
  };
  assert.ok(count(base, "Tablet") > 150 && count(world, "Tablet") === 0);
  assert.ok(count(base, "Console") < 100 && count(world, "Console") === 400);
});

import assert from "node:assert/strict";
import { decimal1, quote } from "../../src/model/text.ts";
import { round1 } from "../../src/model/session.ts";
import { Rng } from "../../src/model/rng.ts";

Deno.test("decimal1 writes what String(round1(x)) writes, for many values and the edges", () => {
  const r = new Rng(11);
  const values = [0, -0, 0.04, -0.04, 0.05, 0.95, 9.95, 1e14, 1e16, 1273.85];
  values.push(NaN, Infinity, -Infinity, 2 ** 53);
  for (let i = 0; i < 200_000; i++) values.push(r.uniform(-1e5, 1e6));
  for (const x of values) assert.equal(decimal1(x), String(round1(x)), `${x}`);
});

Deno.test("quote writes what JSON.stringify writes", () => {
  for (const s of ["plain", 'a "q"', "back\\slash", "tab\t", "é", "\ud800"]) {
    assert.equal(quote(s), JSON.stringify(s));
  }
});

/**
 * The running app sessions, as a binary min-heap on the time of each
 * session's next event (ties in arrival order): the top is the stream's
 * next event.
 *
 * @module
 */
import type { EventFields, SessionContext } from "./session.ts";
import type { StepDriver } from "./steps.ts";

/** A running session and its next event. */
export interface Entry {
  t: number;
  /** Arrival order, for ties. */
  ord: number;
  /** What the session's event ids are hashed from (simulator.ts sessionLanes). */
  lanes: number[];
  /** Type and own fields of the session's next event. */
  type: string;
  fields: EventFields;
  steps: StepDriver;
  ctx: SessionContext;
}

/** The running sessions ordered by their next event. */
export class SessionHeap {
  #items: Entry[] = [];
  /** Each item's time and arrival order, beside it: comparisons read these arrays, not the entries scattered over the heap. */
  #t = new Float64Array(1024);
  #ord = new Float64Array(1024);

  /** Number of sessions running. */
  get size(): number {
    return this.#items.length;
  }

  /** The session whose event is next, if any. */
  get top(): Entry | undefined {
    return this.#items[0];
  }

  /** Adds a session. */
  push(e: Entry): void {
    const n = this.#items.length;
    if (n === this.#t.length) this.#grow();
    this.#items.push(e);
    this.#up(n, e);
  }

  /** Removes the top session (it ended). */
  pop(): void {
    const last = this.#items.pop()!;
    if (this.#items.length > 0) {
      this.#items[0] = last;
      this.reorder();
    }
  }

  /**
   * Restores order after the top's time moved later. The hole at the top
   * goes down to a leaf along the smaller children (one comparison per
   * level), then the entry climbs back from there: a heartbeat's session,
   * ten seconds on, belongs near the bottom, so it seldom climbs far.
   */
  reorder(): void {
    const items = this.#items;
    const tk = this.#t;
    const ok = this.#ord;
    const n = items.length;
    const e = items[0]!;
    let i = 0;
    while (true) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (
        c + 1 < n &&
        (tk[c + 1]! < tk[c]! || (tk[c + 1] === tk[c] && ok[c + 1]! < ok[c]!))
      ) c++;
      items[i] = items[c]!;
      tk[i] = tk[c]!;
      ok[i] = ok[c]!;
      i = c;
    }
    this.#up(i, e);
  }

  /** Puts `e` at the hole `i`, moving it up past later parents. */
  #up(i: number, e: Entry): void {
    const items = this.#items;
    const tk = this.#t;
    const ok = this.#ord;
    const t = e.t;
    const ord = e.ord;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!(t < tk[p]! || (t === tk[p] && ord < ok[p]!))) break;
      items[i] = items[p]!;
      tk[i] = tk[p]!;
      ok[i] = ok[p]!;
      i = p;
    }
    items[i] = e;
    tk[i] = t;
    ok[i] = ord;
  }

  #grow(): void {
    const t = new Float64Array(this.#t.length * 2);
    t.set(this.#t);
    this.#t = t;
    const ord = new Float64Array(this.#ord.length * 2);
    ord.set(this.#ord);
    this.#ord = ord;
  }
}

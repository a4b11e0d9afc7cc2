/**
 * The running app sessions, as a binary min-heap on the time of each
 * session's next event (ties in arrival order): the top is the stream's
 * next event.
 *
 * @module
 */
import type { EventFields, SessionContext } from "./session.ts";

/** A running session and its next event. */
export interface Entry {
  t: number;
  /** Arrival order, for ties. */
  ord: number;
  /** Type and own fields of the session's next event. */
  type: string;
  fields: EventFields;
  gen: Generator<EventFields>;
  ctx: SessionContext;
}

/** The running sessions ordered by their next event. */
export class SessionHeap {
  readonly #items: Entry[] = [];

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
    const heap = this.#items;
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const child = heap[i]!;
      const parent = heap[p]!;
      if (!less(child, parent)) break;
      heap[i] = parent;
      heap[p] = child;
      i = p;
    }
  }

  /** Removes the top session (it ended). */
  pop(): void {
    const heap = this.#items;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.reorder();
    }
  }

  /**
   * Restores order after the top's time moved later: moves it down by
   * shifting smaller children up into the hole, one write per level, no
   * swaps (this runs once per event, and a heartbeat's session usually
   * sinks to the bottom).
   */
  reorder(): void {
    const heap = this.#items;
    const n = heap.length;
    const e = heap[0]!;
    let i = 0;
    while (true) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let child = heap[c]!;
      if (c + 1 < n && less(heap[c + 1]!, child)) child = heap[++c]!;
      if (!less(child, e)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = e;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.t < b.t || (a.t === b.t && a.ord < b.ord);
}

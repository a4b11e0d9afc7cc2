/**
 * Running a session's nested generators without delegation. A session is
 * a generator that calls others (app session, then a tune, then a segment
 * of play); with `yield*`, every event climbs through each level, and
 * each level's frame is read again, once per event, for thousands of
 * sessions in turn. Instead, a generator hands a nested one to the
 * driver with {@linkcode call}, and the driver runs the innermost directly
 * until it returns, then gives its result back to its caller.
 *
 * @module
 */
import type { EventFields } from "./session.ts";

/** What a session's generators yield: an event's own fields, or a generator to run in the yielder's place. */
export type Step = EventFields | Steps<unknown>;

/** A session's generator, or one of those it calls, returning `R`. */
export type Steps<R = void> = Generator<Step, R, unknown>;

/**
 * Runs `g` in the caller's place: `const r = yield* call(g)` gives what
 * `yield* g` would, while `g`'s events go straight to the driver.
 */
export function* call<R>(g: Steps<R>): Steps<R> {
  return (yield g) as R;
}

/**
 * `next` of every generator object: called through this one reference,
 * since the property read on generators of many functions would go
 * megamorphic.
 */
const NEXT = Object.getPrototypeOf(call).prototype.next as (
  this: Steps<unknown>,
  input: unknown,
) => IteratorResult<Step, unknown>;

/** The stack of a session's running generators, the innermost on top. */
export class StepDriver {
  readonly #stack: Steps<unknown>[];

  /** Starts a driver on a session's outermost generator. */
  constructor(outer: Steps<unknown>) {
    this.#stack = [outer];
  }

  /** Returns the fields of the session's next event, or undefined once it ended. */
  next(): EventFields | undefined {
    const stack = this.#stack;
    let input: unknown = undefined;
    while (stack.length > 0) {
      const r = NEXT.call(stack[stack.length - 1]!, input);
      if (r.done) {
        stack.pop();
        input = r.value;
        continue;
      }
      const value = r.value;
      if (typeof value === "string") return value;
      stack.push(value);
      input = undefined;
    }
    return undefined;
  }
}

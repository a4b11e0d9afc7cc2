/**
 * When a consumer run is done. A bounded run (`drain`) ends when every
 * partition's checkpoint reaches the end offsets of the producer's
 * acknowledged batches; `--until-idle` ends only once the owned partitions
 * have reached the high watermarks read when it went idle (a quiet client
 * is not a finished stream). Nothing else (counts, timers) ends a run, and
 * no progress for the retry timeout is an error, never a hang.
 *
 * @module
 */
import type { OffsetMap, Source } from "../ports.ts";
import type { DrainRange } from "../protocol.ts";
import type { Flusher, RunContext, Timing } from "./flush.ts";
import { loadPartitionCheckpoint, type Partitions } from "./partitions.ts";
import type { ConsumerRunOptions } from "./run.ts";

/** Tracks a run's end: the drain target, and catching up when idle. */
export class Completion {
  /** End offsets to reach, once main has sent them. */
  #target: OffsetMap | undefined;
  /** Where the producer began writing each partition. */
  #targetFrom: OffsetMap = {};
  #targetAt = 0;
  readonly #checkedFrom = new Set<number>();
  #behindSince: number | undefined;
  readonly #o: ConsumerRunOptions;
  readonly #partitions: Partitions;
  readonly #flusher: Flusher;
  readonly #timing: Timing;
  readonly #retryTimeoutMs: number;

  /** Starts listening for the drain range, if the run is bounded. */
  constructor(run: RunContext, flusher: Flusher) {
    const options = run.options;
    this.#o = options;
    this.#partitions = run.partitions;
    this.#timing = run.timing;
    this.#flusher = flusher;
    this.#retryTimeoutMs = options.retryTimeoutMs ?? 300_000;
    void options.drain?.then((range: DrainRange) => {
      this.#target = range.until;
      this.#targetFrom = range.from;
      this.#targetAt = options.clock.now();
    });
  }

  /** Whether a drain target is known. */
  get draining(): boolean {
    return this.#target !== undefined;
  }

  /** Whether partition `p` has reached its drain target (or has none). */
  reached(p: number): boolean {
    const end = this.#target?.[String(p)];
    return end === undefined ||
      (this.#partitions.owned.get(p)?.next ?? 0) >= Number(end);
  }

  /** Called after catching up: the idle clock restarts. */
  progressed(): void {
    this.#behindSince = undefined;
  }

  /** Whether every partition reached the drain target; throws when stuck. */
  async drained(): Promise<boolean> {
    const target = this.#target;
    if (!target) return false;
    this.#checkStarts();
    const behind = await this.#short(target);
    if (behind.length === 0) return true;
    // Ours are done but others' are not: land ours, so that the members
    // owning the rest (who read our checkpoints) can finish too.
    const owned = this.#partitions.owned;
    const oursDone = [...owned].every(([p, o]) =>
      target[String(p)] === undefined || o.next >= Number(target[String(p)])
    );
    if (oursDone && [...owned.values()].some((o) => o.dirty)) {
      await this.#flusher.flush();
    }
    const quiet = this.#o.clock.now() -
      Math.max(this.#timing.lastData, this.#targetAt);
    if (quiet > this.#retryTimeoutMs) {
      throw new Error(
        `Cannot finish: partitions did not reach the offsets the producer wrote within ${
          Math.round(this.#retryTimeoutMs / 1000)
        } s (partition: next/end ${behind.join(", ")})`,
      );
    }
    return false;
  }

  /** Whether the owned partitions reached the broker's high watermarks; throws when stuck. */
  async caughtUp(source: Source): Promise<boolean> {
    if (!source.endOffsets) return true;
    const ends = await source.endOffsets();
    const mine = Object.fromEntries(
      Object.entries(ends).filter(([p]) =>
        this.#partitions.owned.has(Number(p))
      ),
    );
    const behind = await this.#short(mine);
    if (behind.length === 0) return true;
    const now = this.#o.clock.now();
    this.#behindSince ??= now;
    if (now - this.#behindSince > this.#retryTimeoutMs) {
      throw new Error(
        `Cannot finish: idle, but partitions are behind the broker's high watermarks (partition: next/end ${
          behind.join(", ")
        })`,
      );
    }
    this.#timing.lastData = now;
    return false;
  }

  /**
   * A partition first read from beyond where the producer began (its
   * records were deleted before we got to them) lost the difference.
   */
  #checkStarts(): void {
    for (const [key, from] of Object.entries(this.#targetFrom)) {
      const p = Number(key);
      const o = this.#partitions.owned.get(p);
      const read = this.#partitions.readFrom.get(p);
      if (!o || read === undefined || this.#checkedFrom.has(p)) continue;
      this.#checkedFrom.add(p);
      if (Number(from) < read) this.#partitions.lose(p, o, read, Number(from));
    }
  }

  /** Partitions still short of `ends`, as "p: next/end". */
  async #short(ends: OffsetMap): Promise<string[]> {
    const { store, topic } = this.#o;
    const behind: string[] = [];
    for (const [key, end] of Object.entries(ends)) {
      const p = Number(key);
      const next = this.#partitions.owned.get(p)?.next ??
        Number((await loadPartitionCheckpoint(store, topic, p)).next);
      if (next < Number(end)) behind.push(`${p}: ${next}/${end}`);
    }
    return behind;
  }
}

/**
 * A fixed-bucket histogram of durations, kept where they are measured and
 * reported as {@linkcode HistogramData} (Prometheus buckets, in seconds).
 *
 * @module
 */
import type { HistogramData } from "../protocol.ts";

/** Bucket bounds for durations from a millisecond to a minute, seconds. */
const DURATION_BOUNDS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/** Counts observations into fixed buckets. */
export class Histogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  /** A histogram over `bounds` (ascending; one more bucket holds the rest). */
  constructor(bounds: readonly number[] = DURATION_BOUNDS) {
    this.#bounds = bounds;
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  /** Adds one observation. */
  observe(value: number): void {
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  /** A copy of the buckets, for a report. */
  data(): HistogramData {
    return {
      bounds: [...this.#bounds],
      counts: [...this.#counts],
      sum: this.#sum,
      count: this.#count,
    };
  }
}

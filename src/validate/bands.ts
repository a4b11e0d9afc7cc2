/**
 * The quality-of-experience target ranges of docs/realism.md 1.4, shared
 * by `validate` (which fails outside them) and the live view (which
 * shades them behind each figure).
 *
 * @module
 */

/** A target range, [low, high]. */
export type Band = readonly [number, number];

/** Quality bands: ratios of play time or attempts, start-up times in ms. */
export const QUALITY_BANDS = {
  rebufferingRatio: [0.002, 0.008],
  videoStartFailures: [0.005, 0.03],
  exitsBeforeVideoStart: [0.03, 0.12],
  startupP50Ms: [1_500, 4_000],
  startupP90Ms: [6_000, 8_000],
} as const satisfies Record<string, Band>;

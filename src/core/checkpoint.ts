/**
 * The consumer's checkpoint: which offsets are durably in the warehouse.
 * Pure: parsing and building only; the fs adapter reads and writes it.
 *
 * @module
 */
import type { Position } from "./simulator.ts";

/** Version of the checkpoint file format. */
export const CHECKPOINT_VERSION = 1;

/** What is committed to the warehouse. */
export interface Checkpoint {
  version: number;
  topic: string;
  /** Next offset to read per partition (last written + 1), decimal strings. */
  offsets: Record<string, string>;
  /** Highest stream sequence written per partition (duplicate filter). */
  maxSeq: Record<string, number>;
  /** Embedded transport: the generator position after the last written event. */
  position?: Position;
  /** Highest event time seen (ms): the watermark that closes days. */
  watermark: number;
  /** Days already marked complete. */
  closedDates: string[];
  /** Gaps skipped with --on-data-loss skip: partition, from, to (exclusive). */
  gaps: { partition: number; from: string; to: string }[];
  rows: number;
  rejected: number;
  updatedAt: string;
}

/** Returns the checkpoint of a consumer that has written nothing. */
export function emptyCheckpoint(topic: string): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    topic,
    offsets: {},
    maxSeq: {},
    watermark: 0,
    closedDates: [],
    gaps: [],
    rows: 0,
    rejected: 0,
    updatedAt: new Date(0).toISOString(),
  };
}

/** Parses checkpoint JSON; throws SyntaxError naming what is wrong. */
export function parseCheckpoint(text: string, path: string): Checkpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new SyntaxError(
      `Cannot parse checkpoint "${path}": not valid JSON (refusing to restart from zero; fix or remove it)`,
      { cause },
    );
  }
  const v = value as Partial<Checkpoint> | null;
  const bad = (what: string) =>
    new SyntaxError(`Cannot parse checkpoint "${path}": ${what}`);
  if (typeof v !== "object" || v === null) throw bad("not a JSON object");
  if (v.version !== CHECKPOINT_VERSION) {
    throw bad(
      `unsupported version ${
        String(v.version)
      }, expected ${CHECKPOINT_VERSION}`,
    );
  }
  if (typeof v.offsets !== "object" || v.offsets === null) {
    throw bad('missing "offsets"');
  }
  for (const [p, o] of Object.entries(v.offsets)) {
    if (!/^\d+$/.test(p) || typeof o !== "string" || !/^\d+$/.test(o)) {
      throw bad(`offset for partition "${p}" must be a decimal string`);
    }
  }
  if (typeof v.topic !== "string") throw bad('missing "topic"');
  return {
    ...emptyCheckpoint(v.topic),
    ...v,
    maxSeq: v.maxSeq ?? {},
    closedDates: v.closedDates ?? [],
    gaps: v.gaps ?? [],
  } as Checkpoint;
}

/** Serialises a checkpoint (stable key order, trailing newline). */
export function stringifyCheckpoint(cp: Checkpoint): string {
  return JSON.stringify(cp, null, 2) + "\n";
}

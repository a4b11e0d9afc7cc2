/**
 * The consumer's checkpoint: per partition, which offsets are durably in
 * the warehouse. Pure: parsing and building only; the fs adapter stores it
 * as `<checkpoint>/partitions/<p>.json`.
 *
 * @module
 */
import type { Position } from "../model/simulator.ts";

/** Version of the checkpoint file format. */
export const CHECKPOINT_VERSION = 1;

/** What is committed to the warehouse for one partition. */
export interface PartitionCheckpoint {
  version: number;
  topic: string;
  partition: number;
  /** Next offset to read (last written + 1), a decimal string. */
  next: string;
  /** Highest stream sequence written (duplicate filter for re-produced events). */
  maxSeq?: number;
  /** The same per producer slice (`--shard K/N`): each slice counts its own stream. */
  shardSeqs?: Record<string, number>;
  /** Embedded transport: the fingerprint of the stream it was written from. */
  stream?: string;
  /** Embedded transport: the generator position after the last written event. */
  position?: Position;
  /** Highest event time written (ms): the watermark that closes days. */
  watermark: number;
  /** Offsets skipped with --on-data-loss skip: [from, to). */
  gaps: { from: string; to: string }[];
  rows: number;
  rejected: number;
  updatedAt: string;
}

/** Returns the checkpoint of a partition nothing was written from. */
export function emptyCheckpoint(
  topic: string,
  partition: number,
): PartitionCheckpoint {
  return {
    version: CHECKPOINT_VERSION,
    topic,
    partition,
    next: "0",
    watermark: 0,
    gaps: [],
    rows: 0,
    rejected: 0,
    updatedAt: new Date(0).toISOString(),
  };
}

/** Parses a partition checkpoint; throws SyntaxError naming what is wrong. */
export function parseCheckpoint(
  text: string,
  path: string,
): PartitionCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new SyntaxError(
      `Cannot parse checkpoint "${path}": not valid JSON (refusing to restart from zero; fix or remove it)`,
      { cause },
    );
  }
  const v = value as Partial<PartitionCheckpoint> | null;
  const bad = (what: string) =>
    new SyntaxError(`Cannot parse checkpoint "${path}": ${what}`);
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw bad("not a JSON object");
  }
  if (v.version !== CHECKPOINT_VERSION) {
    throw bad(
      `unsupported version ${
        String(v.version)
      }, expected ${CHECKPOINT_VERSION}`,
    );
  }
  if (typeof v.topic !== "string") throw bad('missing "topic"');
  if (typeof v.partition !== "number") throw bad('missing "partition"');
  if (typeof v.next !== "string" || !/^\d+$/.test(v.next)) {
    throw bad('"next" must be a decimal string');
  }
  if (
    v.shardSeqs !== undefined &&
    (typeof v.shardSeqs !== "object" || v.shardSeqs === null ||
      !Object.values(v.shardSeqs).every((s) => Number.isSafeInteger(s)))
  ) {
    throw bad('"shardSeqs" must map each shard to an integer');
  }
  return {
    ...emptyCheckpoint(v.topic, v.partition),
    ...v,
    gaps: v.gaps ?? [],
  } as PartitionCheckpoint;
}

/** Serialises a checkpoint (trailing newline). */
export function stringifyCheckpoint(cp: PartitionCheckpoint): string {
  return JSON.stringify(cp, null, 2) + "\n";
}

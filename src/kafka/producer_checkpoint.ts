/**
 * The producer's checkpoint (`<checkpoint>/producer.json`, or
 * `producer-K-of-N.json` for a `--shard K/N` slice): the stream
 * position of the last batch Kafka acknowledged, so that a restarted
 * `produce` continues the same stream. It belongs to one set of generator
 * flags (its fingerprint); another stream must use another checkpoint.
 *
 * @module
 */
import { join } from "node:path";
import type { PipelineConfig } from "../config.ts";
import type { Position } from "../model/simulator.ts";
import { writeFileAtomic } from "../warehouse/fs.ts";
import {
  FINGERPRINT_FLAGS,
  streamFingerprint,
} from "../generator/fingerprint.ts";

interface ProducerState {
  version: 1;
  fingerprint: string;
  position: Position;
}

/** Where a producer resumes, and the acknowledged positions it saves. */
export class ProducerCheckpoint {
  readonly #path: string;
  readonly #print: string;
  #acked: Position | undefined;
  #saved: Position | undefined;
  #savedAt = 0;

  /** The checkpoint of the stream `config` describes. */
  constructor(config: PipelineConfig) {
    const shard = config.generator.shard;
    this.#path = join(
      config.sink.checkpoint,
      shard
        ? `producer-${shard.index + 1}-of-${shard.count}.json`
        : "producer.json",
    );
    this.#print = streamFingerprint(config.topic, config.generator);
  }

  /** Reads where a restarted stream resumes; undefined for a new stream. */
  async load(): Promise<Position | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    let state: ProducerState;
    try {
      state = JSON.parse(text) as ProducerState;
    } catch {
      throw new SyntaxError(
        `Cannot parse producer checkpoint "${this.#path}": not valid JSON`,
      );
    }
    if (state.fingerprint !== this.#print) {
      throw new RangeError(
        `Cannot resume from "${this.#path}": it was written with other ${FINGERPRINT_FLAGS} flags; use another --checkpoint or remove it`,
      );
    }
    return state.position;
  }

  /**
   * Notes an acknowledged position. It is saved at most once a second and
   * on close: an fsync per batch would slow the producer markedly. After a kill, at most a second of events is produced again,
   * and the consumer drops those by stream position.
   */
  async acked(position: Position): Promise<void> {
    this.#acked = position;
    if (Date.now() - this.#savedAt >= 1_000) await this.save();
  }

  /** Saves the last acknowledged position, if not saved yet. */
  async save(): Promise<void> {
    if (!this.#acked || this.#acked === this.#saved) return;
    const position = this.#acked;
    await writeFileAtomic(
      this.#path,
      new TextEncoder().encode(
        JSON.stringify(
          {
            version: 1,
            fingerprint: this.#print,
            position,
          } satisfies ProducerState,
        ),
      ),
    );
    this.#saved = position;
    this.#savedAt = Date.now();
  }
}

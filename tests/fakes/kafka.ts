/**
 * An in-memory Kafka for tests: one topic of partitions with a producer
 * side and a consumer-group side, end offsets, retention, and fault hooks.
 * It stands in for the Kafka adapter and the broker together, behaving as
 * the adapter promises: transient failures are waited out, fatal ones end
 * the source, a member that loses its connection is revoked and rejoins,
 * and every join or leave rebalances the group (each member is revoked,
 * then given its new partitions).
 *
 * @module
 */
import { BrokerError } from "../../src/errors.ts";
import type {
  Delivery,
  InRecord,
  OffsetMap,
  OutRecord,
  Sink,
  Source,
} from "../../src/ports.ts";

/** Which calls a fault hits. */
export type FaultKind = "produce" | "fetch" | "commit";

interface Member {
  id: number;
  assigned: number[];
  /** Whether the consumer holds an assignment it has not been told is revoked. */
  owning: boolean;
  /** The next control deliveries: as in Kafka, only the newest assignment counts. */
  pending: { revoke: boolean; assign?: number[] };
  positions: Map<number, number>;
  wake?: () => void;
}

/** A two-sided in-memory topic with a consumer group. */
export class FakeKafka {
  /** Per partition: offset of `records[0]` (the log start) and the records. */
  readonly logs: { start: number; records: InRecord[] }[];
  /** Offsets the group committed (a hint, as in Kafka). */
  committed: OffsetMap = {};
  /** Failures seen, by kind, and retries the fake client made. */
  readonly seen = { produce: 0, fetch: 0, commit: 0, retries: 0 };
  private readonly faults: Record<FaultKind, { retriable: boolean }[]> = {
    produce: [],
    fetch: [],
    commit: [],
  };
  private readonly members = new Map<number, Member>();
  private nextMember = 0;

  /** Creates a topic named `topic` with `partitions` partitions. */
  constructor(readonly topic: string, partitions: number) {
    this.logs = Array.from({ length: partitions }, () => ({
      start: 0,
      records: [],
    }));
  }

  /** Fails the next `n` calls of `kind`, with a retriable or a fatal error. */
  fail(kind: FaultKind, n: number, options = { retriable: true }): void {
    for (let i = 0; i < n; i++) this.faults[kind].push(options);
  }

  /** Each partition's high watermark. */
  endOffsets(): OffsetMap {
    return Object.fromEntries(
      this.logs.map((l, p) => [String(p), String(l.start + l.records.length)]),
    );
  }

  /** Deletes a partition's records below `offset` (retention). */
  truncate(partition: number, offset: number): void {
    const log = this.logs[partition]!;
    const drop = Math.min(log.records.length, offset - log.start);
    if (drop <= 0) return;
    log.records.splice(0, drop);
    log.start += drop;
  }

  /** Appends one record as a producer would; returns its offset. */
  append(
    partition: number,
    value: string | null,
    seq?: number,
    shard?: string,
  ): number {
    const log = this.logs[partition]!;
    const offset = log.start + log.records.length;
    log.records.push({
      offset: String(offset),
      value: value === null ? null : new TextEncoder().encode(value),
      ...(seq !== undefined ? { seq } : {}),
      ...(shard !== undefined ? { shard } : {}),
    });
    for (const m of this.members.values()) m.wake?.();
    return offset;
  }

  /** Forces a rebalance of the group, as a member joining or leaving does. */
  rebalance(): void {
    const ids = [...this.members.keys()].sort((a, b) => a - b);
    for (const m of this.members.values()) {
      const mine = this.logs.map((_, p) => p).filter((p) =>
        ids[p % ids.length] === m.id
      );
      m.assigned = mine;
      m.positions.clear();
      m.pending = { revoke: m.owning, assign: mine };
      m.wake?.();
    }
  }

  /** Drops a member's connection: it is revoked, then rejoins the group. */
  drop(member = 0): void {
    const m = [...this.members.values()][member];
    if (!m) return;
    this.members.delete(m.id);
    this.rebalance();
    m.assigned = [];
    m.pending = { revoke: m.owning };
    this.members.set(m.id, m);
    this.rebalance();
  }

  /** Takes the next fault of `kind`: throws a fatal one, reports a retriable one. */
  private hit(kind: FaultKind): boolean {
    const fault = this.faults[kind].shift();
    if (!fault) return false;
    this.seen[kind]++;
    if (!fault.retriable) {
      throw new BrokerError(`${kind}: TOPIC_AUTHORIZATION_FAILED (fake)`);
    }
    this.seen.retries++;
    return true;
  }

  /**
   * A producer: partitions by key, appends, acknowledges. A retriable
   * produce fault loses the acknowledgement of a batch that was written,
   * so the retry writes it again (as a non-idempotent producer does).
   * A `shard` ("K/N") is set as the real producer's header is.
   */
  producer(shard?: string): Sink {
    const ends: OffsetMap = {};
    return {
      send: async (records: OutRecord[]) => {
        const write = () => {
          for (const r of records) {
            const p = hash(r.key) % this.logs.length;
            const value = typeof r.value === "string"
              ? r.value
              : new TextDecoder().decode(r.value);
            ends[String(p)] = String(this.append(p, value, r.seq, shard) + 1);
          }
        };
        while (this.hit("produce")) {
          write();
          await Promise.resolve();
        }
        write();
      },
      endOffsets: () => ({ ...ends }),
      close: () => Promise.resolve(),
    };
  }

  /** A consumer in the group; it joins when its deliveries are first read. */
  consumer(options: { batchSize?: number } = {}): Source {
    const batchSize = options.batchSize ?? 500;
    const m: Member = {
      id: this.nextMember++,
      assigned: [],
      owning: false,
      pending: { revoke: false },
      positions: new Map(),
    };
    // deno-lint-ignore no-this-alias
    const kafka = this;
    return {
      async *deliveries({ signal }): AsyncGenerator<Delivery> {
        kafka.members.set(m.id, m);
        kafka.rebalance();
        try {
          while (!signal.aborted) {
            if (m.pending.revoke) {
              m.pending.revoke = false;
              m.owning = false;
              yield { type: "revoked" };
              continue;
            }
            const assign = m.pending.assign;
            if (assign) {
              m.pending.assign = undefined;
              m.owning = true;
              yield { type: "assigned", partitions: assign };
              continue;
            }
            const batch = kafka.fetch(m, batchSize);
            if (batch) {
              yield batch;
              continue;
            }
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 20);
              m.wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            m.wake = undefined;
          }
        } finally {
          kafka.leave(m);
        }
      },
      seek(offsets: OffsetMap) {
        const starts: OffsetMap = {};
        for (const p of m.assigned) {
          const log = kafka.logs[p]!;
          const wanted = offsets[String(p)];
          const start = wanted === undefined || Number(wanted) < log.start
            ? log.start
            : Number(wanted);
          m.positions.set(p, start);
          starts[String(p)] = String(start);
        }
        return Promise.resolve(starts);
      },
      endOffsets: () => Promise.resolve(kafka.endOffsets()),
      commit(offsets: OffsetMap) {
        // A failed commit is only a hint not given, as in the adapter.
        if (!kafka.hit("commit")) {
          kafka.committed = { ...kafka.committed, ...offsets };
        }
        return Promise.resolve();
      },
      close() {
        kafka.leave(m);
        return Promise.resolve();
      },
    };
  }

  private leave(m: Member): void {
    if (!this.members.delete(m.id)) return;
    if (this.members.size > 0) this.rebalance();
  }

  /** The next batch for a member, from the partition furthest behind. */
  private fetch(m: Member, batchSize: number): Delivery | undefined {
    for (const p of m.assigned) {
      const at = m.positions.get(p);
      if (at === undefined) continue;
      const log = this.logs[p]!;
      const end = log.start + log.records.length;
      if (at >= end) continue;
      if (this.hit("fetch")) return undefined;
      // Below the log start, Kafka answers from the log start.
      const from = Math.max(at, log.start);
      const records = log.records.slice(
        from - log.start,
        from - log.start + batchSize,
      );
      m.positions.set(p, from + records.length);
      return {
        type: "batch",
        batch: {
          topic: this.topic,
          partition: p,
          records,
          highWatermark: String(end),
        },
      };
    }
    return undefined;
  }
}

/** A stable string hash (FNV-1a), standing in for Kafka's murmur2. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

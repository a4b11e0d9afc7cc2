/**
 * Uniqueness of event ids in bounded memory: ids are kept as 52-bit hashes
 * in an open-addressing table.
 *
 * @module
 */

/**
 * A set of 52-bit id hashes in one Float64Array (open addressing): about 11
 * bytes per id instead of about 40 in a Set of numbers. Uniqueness is the
 * one check whose memory grows with the events read.
 */
export class IdSet {
  #slots = new Float64Array(1 << 16);
  #size = 0;

  /** Number of ids held. */
  get size(): number {
    return this.#size;
  }

  /** Whether `key` (a non-negative safe integer) is held. */
  has(key: number): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const k = key + 1; // 0 marks an empty slot
    for (let i = slot(k, mask);; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return false;
      if (v === k) return true;
    }
  }

  /** Adds `key` (a non-negative safe integer). */
  add(key: number): void {
    if ((this.#size + 1) * 4 > this.#slots.length * 3) this.#grow();
    const slots = this.#slots;
    const mask = slots.length - 1;
    const k = key + 1;
    for (let i = slot(k, mask);; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === k) return;
      if (v === 0) {
        slots[i] = k;
        this.#size++;
        return;
      }
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Float64Array(old.length * 2);
    this.#size = 0;
    for (const k of old) if (k !== 0) this.add(k - 1);
  }
}

function slot(k: number, mask: number): number {
  const lo = k >>> 0;
  const hi = (k / 4294967296) >>> 0;
  return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & mask;
}

/** A 52-bit key of an id string (two 26-bit FNV-style hashes). */
export function idKey(id: string): number {
  let a = 0x811c9dc5, b = 0x01000193;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 6) * 67_108_864 + (b >>> 6);
}

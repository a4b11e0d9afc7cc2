/**
 * Seeded pseudo-random numbers: a small, fast, portable generator (sfc32)
 * and integer hashing, so that every stream is a pure function of its seed.
 *
 * @module
 */

/** The state {@linkcode hash32} starts from. */
export const HASH_START = 0x9e3779b9;

/** Mixes integers into one 32-bit hash (murmur3-style finaliser per word). */
export function hash32(...words: number[]): number {
  let h = HASH_START;
  for (const word of words) h = hashWord(h, word);
  return h;
}

/**
 * One step of {@linkcode hash32}: `hash32(a, b)` is
 * `hashWord(hashWord(HASH_START, a), b)`. Hot paths chain it to share a
 * prefix and avoid the rest-parameter array.
 */
export function hashWord(h: number, word: number): number {
  // Split doubles into two 32-bit halves so that large indices and
  // millisecond times both hash without losing bits.
  const lo = word >>> 0;
  const hi = Math.floor(word / 4294967296) >>> 0;
  return mix(mix(h ^ lo) ^ hi ^ 0x85ebca6b);
}

/** Hashes a string to 32 bits (the Java string hash): a stable code per id. */
export function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  }
  return h;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A seeded sfc32 generator with the distributions the simulation uses. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Creates a generator from one 32-bit seed (use {@linkcode hash32} to combine keys). */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Returns the next 32-bit unsigned integer. */
  uint32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return t >>> 0;
  }

  /** Returns a float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Returns an integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Returns true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Returns a uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Returns a standard normal variate (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Returns a lognormal variate with the given median and log-sd. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Returns an exponential variate with the given mean. */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Returns the number of failures before the first success, each try succeeding with p. */
  geometric(p: number): number {
    let k = 0;
    while (k < 64 && !this.chance(p)) k++;
    return k;
  }

  /** Returns a Pareto variate with scale xm and shape alpha. */
  pareto(xm: number, alpha: number): number {
    return xm / Math.pow(1 - this.next(), 1 / alpha);
  }

  /** Returns a Poisson count with the given mean (normal approximation above 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) {
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    }
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Picks a key of `shares` in proportion to its share. */
  pickKey(shares: Shares): string {
    return shares.keys[this.pickCumulative(shares.cumulative)]!;
  }

  /** Picks an index from cumulative weights (last entry = total). */
  pickCumulative(cumulative: Float64Array | readonly number[]): number {
    const total = cumulative[cumulative.length - 1]!;
    const x = this.next() * total;
    let lo = 0, hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Builds a cumulative-weights table for {@linkcode Rng.pickCumulative}. */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i]!;
    out[i] = sum;
  }
  return out;
}

/** Keys with cumulative shares, for {@linkcode Rng.pickKey}. */
export interface Shares {
  keys: string[];
  cumulative: Float64Array;
}

/** Builds {@linkcode Shares} from a key -> share record. */
export function shares(record: Record<string, number>): Shares {
  return {
    keys: Object.keys(record),
    cumulative: cumulative(Object.values(record)),
  };
}

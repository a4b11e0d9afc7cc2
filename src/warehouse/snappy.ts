/**
 * Snappy compression (the raw block format Parquet uses), greedy like the
 * reference implementation: 64 KiB fragments, a hash table of 4-byte
 * sequences, and lookups that thin out over incompressible stretches (the
 * random event ids). It writes into one preallocated array, without the
 * per-byte bounds checks that made the general-purpose version cost more
 * than the rest of the Parquet encoding.
 *
 * @module
 */

const FRAGMENT = 1 << 16;
const HASH_BITS = 14;
const table = new Int32Array(1 << HASH_BITS);

/** Compresses `input` into a snappy raw block. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const n = input.length;
  // Worst case from the format description: 32 + n + n / 6.
  const out = new Uint8Array(32 + n + Math.ceil(n / 6));
  let o = 0;
  let v = n;
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[o++] = v;
  for (let base = 0; base < n; base += FRAGMENT) {
    o = fragment(input, base, Math.min(n, base + FRAGMENT), out, o);
  }
  return out.subarray(0, o);
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function hash(x: number): number {
  return Math.imul(x, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

function fragment(
  input: Uint8Array,
  base: number,
  end: number,
  out: Uint8Array,
  o: number,
): number {
  let next = base;
  if (end - base >= 15) {
    table.fill(-1);
    const limit = end - 4;
    let ip = base + 1;
    let misses = 32;
    while (ip <= limit) {
      const x = load32(input, ip);
      const h = hash(x);
      const candidate = table[h]!;
      table[h] = ip;
      if (candidate < 0 || load32(input, candidate) !== x) {
        // Skip faster the longer nothing matched (incompressible data).
        ip += misses++ >> 5;
        continue;
      }
      misses = 32;
      o = literal(input, next, ip, out, o);
      let len = 4;
      while (ip + len < end && input[candidate + len] === input[ip + len]) {
        len++;
      }
      o = copy(ip - candidate, len, out, o);
      ip += len;
      next = ip;
      if (ip - 1 <= limit) table[hash(load32(input, ip - 1))] = ip - 1;
    }
  }
  return literal(input, next, end, out, o);
}

function literal(
  input: Uint8Array,
  from: number,
  to: number,
  out: Uint8Array,
  o: number,
): number {
  const len = to - from;
  if (len === 0) return o;
  const n = len - 1;
  if (n < 60) out[o++] = n << 2;
  else if (n < 0x100) {
    out[o++] = 60 << 2;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = 61 << 2;
    out[o++] = n & 0xff;
    out[o++] = n >>> 8;
  } else {
    out[o++] = 62 << 2;
    out[o++] = n & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n >>> 16;
  }
  out.set(input.subarray(from, to), o);
  return o + len;
}

function copy(offset: number, len: number, out: Uint8Array, o: number): number {
  // Long matches go out as 64-byte copies, leaving at least 4 for the last.
  while (len >= 68) {
    o = copy2(offset, 64, out, o);
    len -= 64;
  }
  if (len > 64) {
    o = copy2(offset, 60, out, o);
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[o++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[o++] = offset & 0xff;
    return o;
  }
  return copy2(offset, len, out, o);
}

function copy2(
  offset: number,
  len: number,
  out: Uint8Array,
  o: number,
): number {
  out[o++] = 2 | ((len - 1) << 2);
  out[o++] = offset & 0xff;
  out[o++] = offset >>> 8;
  return o;
}

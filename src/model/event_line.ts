/**
 * One event's line: its head, id and timestamp made from the session's
 * state, then the session's shared fields and the event's own. Written as
 * JSON text when asked for, or straight into UTF-8 bytes, as `sample`
 * writes it. As bytes, the session's fields (most of an event) are
 * encoded once per session, and a heartbeat (four events in five) is its
 * play's reference, encoded once per play, and three numbers written digit
 * by digit: no text is built, so none is encoded.
 *
 * @module
 */
import { HASH_START, hashWord } from "./rng.ts";
import { decimal1, flat } from "./text.ts";
import { isoTime } from "./time.ts";
import type { SessionContext } from "./session.ts";

const encoder = new TextEncoder();

/** hash32(k, seed), k = 1..4: where the four words of every event id of a seeded world start. */
export function seedLanes(seed: number): number[] {
  return [1, 2, 3, 4].map((k) => hashWord(hashWord(HASH_START, k), seed));
}

/**
 * The four words every event id of session `session` (its arrival order)
 * starts from: hash32(k, seed, session), kept per session so that each
 * event hashes in only its own number.
 */
export function sessionLanes(
  seed: readonly number[],
  session: number,
): number[] {
  return seed.map((lane) => hashWord(lane, session));
}

/** What an event line is made of, as the simulator hands it on. */
export interface EventParts {
  /** The event type. */
  event: string;
  /** Epoch ms. */
  t: number;
  /** The session's id lanes ({@linkcode sessionLanes}). */
  lanes: readonly number[];
  /** The event's place in its session (its id's last input). */
  n: number;
  /** The session: its shared fields. */
  ctx: SessionContext;
  /**
   * The event's own fields, after the shared ones; a heartbeat's are its
   * play's reference, and then its numbers below.
   */
  fields: string;
  /** A heartbeat's numbers (not read for other events). */
  positionSec: number;
  bitrateKbps: number;
  bufferHealthSec: number;
}

/**
 * The event's JSON text: the head, the session's shared fields, then the
 * event's own, in the order JSON.stringify writes an event's fields.
 */
export function eventJson(p: EventParts): string {
  return headOf(p.event) + laneUuid(p.lanes, p.n) + '","timestamp":"' +
    isoTime(p.t) + '",' + p.ctx.sharedJson + p.fields +
    (p.event === "heartbeat" ? heartbeatJson(p) : "") + "}";
}

/** A heartbeat's numbers, as JSON fields. */
function heartbeatJson(p: EventParts): string {
  return ',"positionSec":' + decimal1(p.positionSec) + ',"bitrateKbps":' +
    p.bitrateKbps + ',"bufferHealthSec":' + decimal1(p.bufferHealthSec);
}

/** The most bytes {@linkcode writeEventUtf8} writes for `p`. */
export function eventUtf8Bound(p: EventParts): number {
  // Head, timestamp and numbers are ASCII; a UTF-16 unit takes at most
  // 3 bytes.
  return 3 * (p.event.length + p.ctx.sharedJson!.length + p.fields.length) +
    HEAD_ASCII + 36 + TIME_ASCII + BEAT_ASCII + 1;
}

/**
 * Writes {@linkcode eventJson}'s text as UTF-8 into `buf` at `at`, which
 * must have {@linkcode eventUtf8Bound} bytes free; returns where it ends.
 */
export function writeEventUtf8(
  p: EventParts,
  buf: Uint8Array,
  at: number,
): number {
  at = writeLaneUuid(p.lanes, p.n, buf, put(headBytes(p.event), buf, at));
  at = writeIsoTime(p.t, buf, at);
  at = put(p.ctx.sharedUtf8 ??= encoder.encode(p.ctx.sharedJson), buf, at);
  at = p.event === "heartbeat"
    ? writeHeartbeat(p, buf, at)
    : at + encoder.encodeInto(p.fields, buf.subarray(at)).written;
  buf[at] = 125; // }
  return at + 1;
}

/** The longest a heartbeat's numbers and their names are written. */
const BEAT_ASCII = 128;

const POSITION = encoder.encode(',"positionSec":');
const BITRATE = encoder.encode(',"bitrateKbps":');
const HEALTH = encoder.encode(',"bufferHealthSec":');

/**
 * Writes a heartbeat's fields: its play's reference, encoded once per
 * play (the reference is one string for the whole play), then its numbers
 * digit by digit.
 */
function writeHeartbeat(p: EventParts, buf: Uint8Array, at: number): number {
  const ctx = p.ctx;
  if (ctx.refJson !== p.fields) {
    ctx.refJson = p.fields;
    ctx.refUtf8 = encoder.encode(p.fields);
  }
  at = put(ctx.refUtf8!, buf, at);
  at = writeDecimal1(p.positionSec, buf, put(POSITION, buf, at));
  at = writeNumber(p.bitrateKbps, buf, put(BITRATE, buf, at));
  return writeDecimal1(p.bufferHealthSec, buf, put(HEALTH, buf, at));
}

/** Copies `bytes` to `at`; returns where they end. */
function put(bytes: Uint8Array, buf: Uint8Array, at: number): number {
  buf.set(bytes, at);
  return at + bytes.length;
}

/** Writes `decimal1(x)` (text.ts) at `at`; returns where it ends. */
function writeDecimal1(x: number, buf: Uint8Array, at: number): number {
  const tenths = Math.round(x * 10);
  if (!(tenths >= 0 && tenths < 1e15)) return writeAscii(decimal1(x), buf, at);
  const whole = Math.floor(tenths / 10);
  const digit = tenths - whole * 10;
  at = writeDigits(whole, buf, at);
  if (digit === 0) return at;
  buf[at] = 46; // .
  buf[at + 1] = 48 + digit;
  return at + 2;
}

/** Writes `String(x)` at `at`; returns where it ends. */
function writeNumber(x: number, buf: Uint8Array, at: number): number {
  return Number.isInteger(x) && x >= 0 && x < 1e15
    ? writeDigits(x, buf, at)
    : writeAscii(String(x), buf, at);
}

/** Writes the digits of a whole number below 1e15 at `at`; returns where they end. */
function writeDigits(n: number, buf: Uint8Array, at: number): number {
  let end = at + 1;
  for (let p = 10; p <= n; p *= 10) end++;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    buf[i] = 48 + n - q * 10;
    n = q;
  }
  return end;
}

/** Writes ASCII text (a number's) at `at`; returns where it ends. */
function writeAscii(s: string, buf: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/** Length of `{"event":"` + `","eventId":"`. */
const HEAD_ASCII = 23;
/** Length of `","timestamp":"` + an ISO time + `",`. */
const TIME_ASCII = 41;

/** `{"event":"<type>","eventId":"` per event type, built once. */
const HEADS = new Map<string, string>();
/** The same, as UTF-8. */
const HEAD_BYTES = new Map<string, Uint8Array>();

function headOf(type: string): string {
  let head = HEADS.get(type);
  if (head === undefined) {
    head = flat('{"event":"' + type + '","eventId":"');
    HEADS.set(type, head);
  }
  return head;
}

function headBytes(type: string): Uint8Array {
  let head = HEAD_BYTES.get(type);
  if (head === undefined) {
    head = encoder.encode(headOf(type));
    HEAD_BYTES.set(type, head);
  }
  return head;
}

/** Character codes of the hex digits. */
const HEX_CODES = [..."0123456789abcdef"].map((c) => c.charCodeAt(0));
const DASH = 45;

/** The four words of the `n`-th event id of a session: hash32(k, seed, session, n). */
function idWords(lane: readonly number[], n: number, out: Uint32Array): void {
  // Four independent hashes: each word passes through 32 bits of state,
  // so one chain would make a 32-bit id (a million events would already
  // share some). The v4 layout's version and variant bits are set here.
  out[0] = hashWord(lane[0]!, n);
  out[1] = (hashWord(lane[1]!, n) & 0xffff0fff) | 0x4000;
  out[2] = (hashWord(lane[2]!, n) & 0x3fffffff) | 0x80000000;
  out[3] = hashWord(lane[3]!, n);
}

const WORDS = new Uint32Array(4);

/** Writes the `n`-th event id of a session, as hex, at `at`; returns where it ends. */
function writeLaneUuid(
  lane: readonly number[],
  n: number,
  buf: Uint8Array,
  at: number,
): number {
  idWords(lane, n, WORDS);
  writeHex8(WORDS[0]!, buf, at);
  buf[at + 8] = DASH;
  const b = WORDS[1]!;
  writeHex4(b >>> 16, buf, at + 9);
  buf[at + 13] = DASH;
  writeHex4(b, buf, at + 14);
  buf[at + 18] = DASH;
  const c = WORDS[2]!;
  writeHex4(c >>> 16, buf, at + 19);
  buf[at + 23] = DASH;
  writeHex4(c, buf, at + 24);
  writeHex8(WORDS[3]!, buf, at + 28);
  return at + 36;
}

/** Writes the low 16 bits of `w` as four hex digits at `at`. */
function writeHex4(w: number, buf: Uint8Array, at: number): void {
  const x = HEX_CODES;
  buf[at] = x[(w >>> 12) & 15]!;
  buf[at + 1] = x[(w >>> 8) & 15]!;
  buf[at + 2] = x[(w >>> 4) & 15]!;
  buf[at + 3] = x[w & 15]!;
}

/** Writes `w` as eight hex digits at `at`. */
function writeHex8(w: number, buf: Uint8Array, at: number): void {
  writeHex4(w >>> 16, buf, at);
  writeHex4(w, buf, at + 4);
}

/** The deterministic UUID (v4 layout) of the `n`-th event of a session. */
function laneUuid(lane: readonly number[], n: number): string {
  idWords(lane, n, WORDS);
  const a = WORDS[0]!;
  const b = WORDS[1]!;
  const c = WORDS[2]!;
  const d = WORDS[3]!;
  const x = HEX_CODES;
  // One call that makes one flat string: the event's JSON is a rope of
  // pieces, and a piece that is itself a rope costs again when flattened.
  // The digits are computed here rather than read back from
  // writeLaneUuid's bytes, and passed as arguments rather than by `apply`:
  // either way costs 50-100 ns more per event on the text path.
  return String.fromCharCode(
    x[a >>> 28]!,
    x[(a >>> 24) & 15]!,
    x[(a >>> 20) & 15]!,
    x[(a >>> 16) & 15]!,
    x[(a >>> 12) & 15]!,
    x[(a >>> 8) & 15]!,
    x[(a >>> 4) & 15]!,
    x[a & 15]!,
    DASH,
    x[b >>> 28]!,
    x[(b >>> 24) & 15]!,
    x[(b >>> 20) & 15]!,
    x[(b >>> 16) & 15]!,
    DASH,
    x[(b >>> 12) & 15]!,
    x[(b >>> 8) & 15]!,
    x[(b >>> 4) & 15]!,
    x[b & 15]!,
    DASH,
    x[c >>> 28]!,
    x[(c >>> 24) & 15]!,
    x[(c >>> 20) & 15]!,
    x[(c >>> 16) & 15]!,
    DASH,
    x[(c >>> 12) & 15]!,
    x[(c >>> 8) & 15]!,
    x[(c >>> 4) & 15]!,
    x[c & 15]!,
    x[d >>> 28]!,
    x[(d >>> 24) & 15]!,
    x[(d >>> 20) & 15]!,
    x[(d >>> 16) & 15]!,
    x[(d >>> 12) & 15]!,
    x[(d >>> 8) & 15]!,
    x[(d >>> 4) & 15]!,
    x[d & 15]!,
  );
}

/** `","timestamp":"` and the time up to its second, as bytes. */
const TIME_PREFIX = new Uint8Array(35);
let prefixSecond = NaN;

/** Writes `","timestamp":"<ISO time>",` at `at`; returns where it ends. */
function writeIsoTime(ms: number, buf: Uint8Array, at: number): number {
  const second = Math.floor(ms / 1000);
  if (second !== prefixSecond) {
    // Events come in time order: consecutive ones nearly always share
    // their second.
    prefixSecond = second;
    encoder.encodeInto(
      '","timestamp":"' + isoTime(second * 1000).slice(0, 20),
      TIME_PREFIX,
    );
  }
  buf.set(TIME_PREFIX, at);
  at += 35;
  const milli = ms - second * 1000;
  buf[at] = 48 + Math.floor(milli / 100);
  buf[at + 1] = 48 + Math.floor(milli / 10) % 10;
  buf[at + 2] = 48 + milli % 10;
  buf[at + 3] = 90; // Z
  buf[at + 4] = 34; // "
  buf[at + 5] = 44; // ,
  return at + 6;
}

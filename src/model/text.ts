/**
 * Small helpers for writing JSON text by concatenation (the simulator writes
 * each event's text directly; see session.ts).
 *
 * @module
 */

/** Returns `JSON.stringify(s)`, without the call for the usual plain text. */
export function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Quotes, backslashes, control characters and surrogates (a lone one
    // is escaped) take the exact path.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(s);
    }
  }
  return '"' + s + '"';
}

/**
 * Returns `s` as one flat string. V8 keeps a concatenation as a rope that
 * is copied into one piece when it is first read whole; a piece reused by
 * many events (the fields of one tune) is flattened once here instead of
 * once per event. `trim` flattens its receiver; text with surrounding
 * white space is returned as it is.
 */
export function flat(s: string): string {
  const trimmed = s.trim();
  return trimmed.length === s.length ? trimmed : s;
}

/**
 * Returns `String(round1(x))`: x to one decimal, as JSON writes it, built
 * from integers (a heartbeat writes two such numbers, and formatting a
 * fraction is slow).
 */
export function decimal1(x: number): string {
  const tenths = Math.round(x * 10);
  if (!(tenths >= 0 && tenths < 1e15)) return String(tenths / 10);
  const whole = Math.floor(tenths / 10);
  const digit = tenths - whole * 10;
  return digit === 0 ? String(whole) : whole + "." + digit;
}

/**
 * JSON with line numbers: parses a document as `JSON.parse` does and
 * remembers the line each value starts on, by its path
 * (`channels[3].ads`), so that a mistake in a user's file can be named by
 * line as well as by path. Pure.
 *
 * @module
 */

/** A parsed document and the line of every value in it, by path. */
export interface Located {
  value: unknown;
  /** Path (`""` for the document, `a.b[2]`) -> 1-based line. */
  lines: Map<string, number>;
}

/** A document that is not JSON: where, and what was expected there. */
export class JsonSyntaxError extends SyntaxError {
  /** 1-based line of the mistake. */
  readonly line: number;

  /** A syntax error at `line`. */
  constructor(line: number, message: string) {
    super(message);
    this.name = "JsonSyntaxError";
    this.line = line;
  }
}

/** Returns the path of `key` inside the value at `path`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  return path === "" ? name : `${path}.${name}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON strings may not hold raw control characters.
// deno-lint-ignore no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** Parses `text`; throws {@linkcode JsonSyntaxError} naming the line. */
export function parseLocated(text: string): Located {
  const lines = new Map<string, number>();
  let at = 0;
  let line = 1;
  const fail = (what: string, where = line): never => {
    const found = at >= text.length
      ? "the end of the file"
      : JSON.stringify(text.slice(at, at + 12).split("\n")[0]);
    throw new JsonSyntaxError(where, `expected ${what}, found ${found}`);
  };
  const skip = () => {
    for (; at < text.length; at++) {
      const c = text[at];
      if (c === "\n") line++;
      else if (c !== " " && c !== "\t" && c !== "\r") break;
    }
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    at += m[0].length;
    return m[0];
  };
  const value = (path: string): unknown => {
    skip();
    lines.set(path, line);
    const c = text[at];
    if (c === "{") return object(path);
    if (c === "[") return array(path);
    if (c === '"') {
      const s = token(STRING);
      return s === undefined ? fail("a closed string") : JSON.parse(s);
    }
    for (
      const [word, v] of [["true", true], ["false", false], ["null", null]]
    ) {
      if (text.startsWith(word as string, at)) {
        at += (word as string).length;
        return v;
      }
    }
    const n = token(NUMBER);
    return n === undefined ? fail("a value") : Number(n);
  };
  const object = (path: string): Record<string, unknown> => {
    at++;
    const out: Record<string, unknown> = {};
    skip();
    if (text[at] === "}") {
      at++;
      return out;
    }
    for (;;) {
      skip();
      const k = text[at] === '"' ? token(STRING) : undefined;
      if (k === undefined) fail("a key in double quotes");
      const key = JSON.parse(k!) as string;
      if (Object.hasOwn(out, key)) {
        throw new JsonSyntaxError(
          line,
          `${childPath(path, key) || "key"}: the key appears twice`,
        );
      }
      skip();
      if (text[at] !== ":") fail("':' after the key");
      at++;
      out[key] = value(childPath(path, key));
      // A missing comma is on the line its value ends, not the next one's.
      const ended = line;
      skip();
      const c = text[at];
      if (c !== "}" && c !== ",") fail("',' or '}'", ended);
      at++;
      if (c === "}") return out;
    }
  };
  const array = (path: string): unknown[] => {
    at++;
    const out: unknown[] = [];
    skip();
    if (text[at] === "]") {
      at++;
      return out;
    }
    for (;;) {
      out.push(value(childPath(path, out.length)));
      const ended = line;
      skip();
      const c = text[at];
      if (c !== "]" && c !== ",") fail("',' or ']'", ended);
      at++;
      if (c === "]") return out;
    }
  };
  const result = value("");
  skip();
  if (at < text.length) fail("the end of the file");
  return { value: result, lines };
}

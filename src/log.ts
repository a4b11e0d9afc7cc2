// deno-lint-ignore-file no-console
/**
 * Logging to stderr: text or JSON lines, plus a live status line when
 * stderr is a terminal. With `console`, main.ts is the only other writer.
 *
 * @module
 */

/** Log levels in order. */
export type Level = "debug" | "info" | "warn" | "error";

/** A logger bound to the output settings. */
export interface Logger {
  log(level: Level, message: string, fields?: Record<string, unknown>): void;
  /** Redraws the status line (terminal only; no-op otherwise). */
  status(text: string): void;
  /** Clears the status line before other output. */
  clearStatus(): void;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  format: "text" | "json";
  quiet: boolean;
  debug: boolean;
  /** Whether stderr is a terminal (status line) . */
  tty: boolean;
  /** Whether colour is allowed (NO_COLOR unset and a terminal). */
  color: boolean;
  write?: (line: string) => void;
}

const encoder = new TextEncoder();

/** Creates a logger writing to stderr. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line)));
  let statusShown = false;
  const color = (code: string, text: string) =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const clearStatus = () => {
    if (statusShown) {
      write("\r\x1b[2K");
      statusShown = false;
    }
  };
  return {
    log(level, message, fields) {
      if (level === "debug" && !options.debug) return;
      if (options.quiet && (level === "info" || level === "debug")) return;
      clearStatus();
      if (options.format === "json") {
        write(
          JSON.stringify({
            time: new Date().toISOString(),
            level,
            message,
            ...fields,
          }) + "\n",
        );
        return;
      }
      const tag = level === "error"
        ? color("31", "error")
        : level === "warn"
        ? color("33", "warn")
        : level;
      const extra = fields && Object.keys(fields).length > 0
        ? " " + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(" ")
        : "";
      write(`tvstream ${tag}: ${message}${extra}\n`);
    },
    status(text) {
      if (!options.tty || options.quiet || options.format === "json") return;
      write(`\r\x1b[2K${text}`);
      statusShown = true;
    },
    clearStatus,
  };
}

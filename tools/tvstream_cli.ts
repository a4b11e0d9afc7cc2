/**
 * Runs the real tvstream CLI as a subprocess, for tests, bench and chaos.
 *
 * @module
 */

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** What a finished tvstream run printed. */
export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs tvstream with `args` in `cwd`; returns code, stdout, stderr. With
 * `timeoutMs`, a run still going then is killed and reported as code -9.
 */
export async function tvstream(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    stdin?: string;
    timeoutMs?: number;
  } = {},
): Promise<RunOutput> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    cwd: options.cwd ?? Deno.cwd(),
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const timer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const dec = new TextDecoder();
  return {
    code: out.signal === "SIGKILL" ? -9 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Starts tvstream in the background (for kill tests); stdout is discarded. */
export function spawnTvstream(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    cwd: options.cwd ?? Deno.cwd(),
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

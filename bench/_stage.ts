/**
 * What every bench stage shares: running a tvstream command in a child
 * process while sampling its peak RSS (and, when asked, each thread's CPU
 * time), reading its "done" summary, and making a table row.
 *
 * @module
 */

/** The CLI's entry point. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Progress on stderr. */
export function log(s: string): void {
  console.error(`bench: ${s}`);
}

/** One row of the results table. */
export interface StageResult {
  stage: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  mbPerSec: number;
  peakRssMb: number | null;
  target: string;
  met: boolean | null;
  note?: string;
}

/** This process's peak RSS, MB. */
export function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Deno.memoryUsage().rss / 1e6;
}

/**
 * The V8 flags `deno task dev` and the compiled binary run with (V8's
 * young generation and heap growth, which set tvstream's memory): every
 * stage runs as users run it.
 */
const V8_FLAGS = (() => {
  const manifest = JSON.parse(
    Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
  );
  return /--v8-flags=\S+/.exec(manifest.tasks.dev)?.[0];
})();

/** What a measured command printed and used. */
export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall clock from spawn to exit. */
  seconds: number;
  peakRssMb: number | null;
  /** CPU seconds per thread name (Deno names workers worker-1, -2... in spawn order). */
  threads: Record<string, number>;
}

/** Linux clock ticks per second (USER_HZ). */
const TICKS = 100;

/** Each thread's CPU seconds so far, by thread id, with its name. */
function threadTimes(pid: number, into: Map<string, [string, number]>): void {
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
      // The name sits in parentheses and may hold spaces.
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      into.set(t.name, [
        name,
        (Number(fields[11]) + Number(fields[12])) / TICKS,
      ]);
    } catch { /* the thread ended */ }
  }
}

/**
 * Runs a tvstream (or any Deno) command, sampling its peak RSS and its
 * threads' CPU time every 50 ms.
 */
export async function measure(args: string[], cwd: string): Promise<Measured> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...(V8_FLAGS ? [V8_FLAGS] : []), ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  const tids = new Map<string, [string, number]>();
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(
        Deno.readTextFileSync(`/proc/${child.pid}/status`),
      );
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      threadTimes(child.pid, tids);
    } catch { /* exited */ }
  }, 50);
  const out = await child.output();
  clearInterval(timer);
  const threads: Record<string, number> = {};
  for (const [name, cpu] of tids.values()) {
    threads[name] = (threads[name] ?? 0) + cpu;
  }
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    seconds: (performance.now() - started) / 1000,
    peakRssMb: peak || null,
    threads,
  };
}

/** Reads the JSON "done" summary tvstream logs at the end of a run. */
export function summary(stderr: string): Record<string, string | number> {
  for (const line of stderr.trim().split("\n").reverse()) {
    try {
      const j = JSON.parse(line);
      if (j.message === "done") return j;
    } catch { /* not JSON */ }
  }
  throw new Error(`no summary in: ${stderr.slice(-800)}`);
}

/**
 * Runs one tvstream command (JSON logs) in `dir`, measured; returns its
 * "done" summary with the measurement, or throws with its stderr.
 */
export async function runStage(
  what: string,
  args: string[],
  dir: string,
): Promise<
  { s: Record<string, string | number>; peakRssMb: number | null; m: Measured }
> {
  const m = await measure([MAIN, ...args, "--log-format", "json"], dir);
  if (m.code !== 0) throw new Error(`${what} failed: ${m.stderr}`);
  return { s: summary(m.stderr), peakRssMb: m.peakRssMb, m };
}

/** The middle element of `xs` by `key` (the upper middle for an even count). */
export function median<T>(xs: T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[xs.length >> 1]!;
}

/** `--warehouse` and `--checkpoint` flags for a stage's own output. */
export function outputFlags(dir: string, name: string): string[] {
  return [
    "--warehouse",
    `${dir}/wh-${name}`,
    "--checkpoint",
    `${dir}/chk-${name}`,
  ];
}

/** One table row; events/s and MB/s derived from the counts and seconds. */
export function row(
  stage: string,
  events: number,
  seconds: number,
  bytes: number,
  peak: number | null,
  target: string,
  met: boolean | null,
  note?: string,
): StageResult {
  return {
    stage,
    events,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSec: Math.round(events / seconds),
    mbPerSec: Number((bytes / seconds / 1e6).toFixed(1)),
    peakRssMb: peak === null ? null : Math.round(peak),
    target,
    met,
    ...(note ? { note } : {}),
  };
}

/**
 * A real Prometheus (Debian's `prometheus` package) scraping tvstream's
 * `/metrics` every second, queried through its HTTP API: for the live
 * view's tests.
 *
 * @module
 */

import { freePort } from "./net.ts";

/** One series of a PromQL instant query. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus. */
export interface Prometheus {
  /** Runs an instant query; resolves with its series (empty: no data). */
  query(expr: string): Promise<PromSample[]>;
  /** The single value of a query, or undefined without data. */
  scalar(expr: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `ports` on 127.0.0.1; undefined when it is not installed. */
export async function startPrometheus(
  ports: number[],
  dir: string,
): Promise<Prometheus | undefined> {
  const port = freePort();
  const config = `${dir}/prometheus.yml`;
  await Deno.writeTextFile(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: tvstream",
      "    static_configs:",
      `      - targets: [${ports.map((p) => `"127.0.0.1:${p}"`).join(", ")}]`,
      "",
    ].join("\n"),
  );
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("prometheus", {
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${dir}/prometheus-data`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
  };
  await waitReady(base).catch(async (error) => {
    await stop();
    throw error;
  });
  const query = async (expr: string): Promise<PromSample[]> => {
    const url = `${base}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const body = await (await fetch(url)).json();
    if (body.status !== "success") {
      throw new Error(`PromQL ${expr}: ${body.error}`);
    }
    const data = body.data;
    if (data.resultType === "scalar") {
      return [{ metric: {}, value: data.result }];
    }
    return data.result as PromSample[];
  };
  return {
    query,
    scalar: async (expr) => {
      const r = await query(expr);
      return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
    },
    stop,
  };
}

async function waitReady(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}/-/ready`);
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("prometheus did not become ready within 30 s");
}

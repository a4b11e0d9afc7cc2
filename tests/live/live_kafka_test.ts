/**
 * The live view against real parts: a producer and a consumer on the
 * Kafka-protocol mock cluster, each serving its live view, scraped by a
 * real Prometheus (PromQL checks, every expression of
 * dashboards/grafana.json) and loaded in a real headless Chromium.
 * Each part is skipped, with the reason printed, only where its package
 * is missing.
 */
import assert from "node:assert/strict";
import { hasLibrdkafka, startMockCluster } from "../_kafka.ts";
import { spawnTvstream } from "../_cli.ts";
import { withTmpDir } from "../_helpers.ts";
import { Browser, findChromium } from "../../tools/browser.ts";
import { freePort } from "../../tools/net.ts";
import { Prometheus, startPrometheus } from "../../tools/prometheus.ts";

const EVENTS = 50_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value, or fails after `ms`. */
async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function stats(port: number): Promise<Json> {
  return await (await fetch(`http://127.0.0.1:${port}/api/stats`)).json();
}

/** Every PromQL expression in the Grafana dashboard. */
async function grafanaExprs(): Promise<string[]> {
  const dash = JSON.parse(
    await Deno.readTextFile(
      new URL("../../dashboards/grafana.json", import.meta.url),
    ),
  );
  return dash.panels.flatMap((p: Json) =>
    (p.targets ?? []).map((t: Json) => t.expr as string)
  );
}

/** The page's figures the test compares. */
function pageFigures(browser: Browser) {
  return browser.evaluate<{ seq: number; consumed: string; top: string }>(`({
    seq: Number(document.body.dataset.seq ?? -1),
    consumed: [...document.querySelectorAll("#pipeline-cards div")]
      .find((d) => d.querySelector("dt").textContent === "consumed")
      ?.querySelector("dd").textContent ?? "",
    top: document.querySelector("#top-channels li")?.dataset.name ?? "",
  })`);
}

Deno.test({
  name:
    "live view over Kafka: Prometheus scrapes it and evaluates the Grafana dashboard; Chromium shows it",
  ignore: !hasLibrdkafka(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using tmp = await withTmpDir();
    await using cluster = await startMockCluster({ brokers: 1 });
    const consumePort = freePort();
    const producePort = freePort();
    const { consumer, producer } = spawnPair(
      cluster.bootstrap,
      tmp.path,
      consumePort,
      producePort,
    );
    let producing = true;
    const produced = producer.status.then((s) => {
      producing = false;
      return s;
    });
    const prometheus = await startPrometheus(
      [consumePort, producePort],
      tmp.path,
    );
    if (!prometheus) {
      console.log("prometheus not installed: PromQL checks skipped");
    }
    const chromium = await findChromium();
    if (!chromium) {
      console.log("chromium not installed: browser checks skipped");
    }
    const browser = chromium ? await Browser.launch(chromium) : undefined;
    try {
      await until(
        "the consumer's live view",
        30_000,
        () =>
          stats(consumePort).then((s) => s.pipeline.consumed > 0 || undefined),
      );

      await t.step({
        name: "while running: the page loads cleanly and its figures move",
        ignore: !browser,
        fn: () => whileRunningPage(browser!, consumePort, () => producing),
      });

      await t.step({
        name:
          "while running: PromQL sees events consumed, the dashboard's expressions return data",
        ignore: !prometheus,
        fn: () => whileRunningPromQL(prometheus!, () => producing),
      });
      const p = await produced;
      const pErr = await new Response(producer.stderr).text();
      assert.equal(p.code, 0, pErr);
      const end = await until(
        "the consumer to catch up",
        60_000,
        () =>
          stats(consumePort).then((s) =>
            s.pipeline.consumed === EVENTS && s.pipeline.lag === 0 &&
              s.pipeline.rows === EVENTS
              ? s
              : undefined
          ),
      );
      // Two more scrapes of the settled figures.
      await sleep(3000);

      await t.step({
        name: "at the end: lag 0, and the viewers gauge sums to /api/stats",
        ignore: !prometheus,
        fn: () => atTheEndPromQL(prometheus!, consumePort, end),
      });
      await t.step({
        name: "at the end: the top channel shown is /api/stats's; screenshots",
        ignore: !browser,
        fn: () => atTheEndPage(browser!, consumePort),
      });
    } finally {
      await browser?.close();
      await prometheus?.stop();
      consumer.kill("SIGTERM");
      const c = await consumer.status;
      const cErr = await new Response(consumer.stderr).text();
      if (!producing) assert.equal(c.code, 0, cErr);
      if (producing) producer.kill("SIGKILL");
      await produced;
      await producer.stderr.cancel().catch(() => {});
    }
  },
});

/** A consumer serving its live view, and a producer writing EVENTS at 2,500/s. */
function spawnPair(
  bootstrap: string,
  cwd: string,
  consumePort: number,
  producePort: number,
) {
  const kafka = ["--bootstrap", bootstrap, "--topic", "live"];
  const consumer = spawnTvstream([
    "consume",
    ...kafka,
    "--flush-interval",
    "1",
    "--http",
    `127.0.0.1:${consumePort}`,
    "--quiet",
  ], { cwd });
  const producer = spawnTvstream([
    "produce",
    ...kafka,
    "--partitions",
    "4",
    "--from",
    // Five minutes before the first ad breaks of the hour: the run's few
    // minutes of event time reach them.
    "2026-11-02T19:05:00Z",
    "--rate",
    "2500",
    "--events",
    String(EVENTS),
    "--http",
    `127.0.0.1:${producePort}`,
    "--quiet",
  ], { cwd });
  return { consumer, producer };
}

async function atTheEndPromQL(
  prometheus: Prometheus,
  port: number,
  end: Json,
): Promise<void> {
  const instance = `127.0.0.1:${port}`;
  const lag = await prometheus.scalar(
    `sum(tvstream_consumer_lag_records{instance="${instance}"})`,
  );
  assert.equal(lag, 0);
  const viewers = await prometheus.scalar(
    `sum(tvstream_viewers{instance="${instance}"})`,
  );
  assert.ok(end.audience.viewersTotal > 0);
  assert.equal(viewers, end.audience.viewersTotal);
  const consumed = await prometheus.scalar(
    `tvstream_events_consumed_total{instance="${instance}"}`,
  );
  assert.equal(consumed, EVENTS);
}

async function whileRunningPromQL(
  prometheus: Prometheus,
  producing: () => boolean,
): Promise<void> {
  const rate = await until("a consumption rate above 0", 30_000, async () => {
    const v = await prometheus.scalar(
      "sum(rate(tvstream_events_consumed_total[30s]))",
    );
    return v !== undefined && v > 0 ? v : undefined;
  });
  assert.ok(producing(), `the run was still going when rate was ${rate}`);
  const exprs = await grafanaExprs();
  assert.ok(exprs.length >= 20, `${exprs.length} expressions`);
  // Rates need a few scrapes: retry the ones without data for a while.
  let empty = exprs;
  for (const deadline = Date.now() + 30_000; empty.length > 0;) {
    const none: string[] = [];
    for (const expr of empty) {
      if ((await prometheus.query(expr)).length === 0) none.push(expr);
    }
    empty = none;
    if (Date.now() > deadline) break;
    if (empty.length > 0) await sleep(1000);
  }
  assert.deepEqual(empty, [], "expressions without data");
}

async function whileRunningPage(
  browser: Browser,
  port: number,
  producing: () => boolean,
): Promise<void> {
  await browser.emulate(1280, 1000, "light");
  await browser.open(`http://127.0.0.1:${port}/`);
  const first = await until(
    "the first snapshot on the page",
    10_000,
    () => pageFigures(browser).then((f) => f.seq >= 0 ? f : undefined),
  );
  const second = await until(
    "a later snapshot on the page",
    10_000,
    () =>
      pageFigures(browser).then((f) =>
        f.seq > first.seq + 1 && f.consumed !== first.consumed ? f : undefined
      ),
  );
  assert.ok(producing(), "the figures moved while the run was going");
  assert.notEqual(second.consumed, first.consumed);
  assert.deepEqual(browser.errors, []);
}

async function atTheEndPage(browser: Browser, port: number): Promise<void> {
  const api = await stats(port);
  const shown = await until(
    "the page to show the settled snapshot",
    10_000,
    () => pageFigures(browser).then((f) => f.seq >= api.seq ? f : undefined),
  );
  assert.ok(api.audience.topChannels.length > 0);
  assert.equal(shown.top, api.audience.topChannels[0].channel);
  const dir = Deno.env.get("TVSTREAM_SCREENSHOT_DIR") ??
    await Deno.makeTempDir({ prefix: "tvstream-screenshot-" });
  await browser.emulate(1280, 1000, "light");
  await Deno.writeFile(`${dir}/dashboard.png`, await browser.screenshot());
  await browser.emulate(1280, 1000, "dark");
  await sleep(1200);
  await Deno.writeFile(`${dir}/dashboard-dark.png`, await browser.screenshot());
  console.log(`screenshots in ${dir}`);
  assert.deepEqual(browser.errors, []);
  const origin = `http://127.0.0.1:${port}/`;
  const elsewhere = browser.requests.filter((u) => !u.startsWith(origin));
  assert.deepEqual(elsewhere, [], "requests beyond the live view's origin");
  assert.ok(browser.requests.some((u) => u.endsWith("/api/events")));
}

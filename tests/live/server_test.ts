/**
 * The live view's server: every endpoint, Server-Sent Events, the port
 * rules, and the Prometheus text checked by Prometheus's own `promtool`.
 */
import assert from "node:assert/strict";
import { LiveState } from "../../src/live/state.ts";
import { startLiveServer } from "../../src/live/server.ts";
import { emptyStats, type Stats } from "../../src/protocol.ts";
import { config } from "../_helpers.ts";

const T0 = Date.parse("2026-11-02T20:00:00Z");

/** A state fed with the reports a short embedded run would send. */
function fedState(): LiveState {
  const state = new LiveState(config(["run", "--from", "2026-11-02"]), T0);
  const g: Stats = { ...emptyStats(), events: 1000, produced: 1000 };
  g.byType = { heartbeat: 900, channel_start: 100 };
  const c: Stats = {
    ...emptyStats(),
    events: 900,
    rows: 880,
    files: 2,
    rejected: 20,
    rejectedBy: { not_json: 15, schema: 5 },
    byType: { heartbeat: 800, channel_start: 80 },
    partitionFigures: { "0": { lag: 0, offset: 900 } },
    landed: { "2026-11-02": { rows: 880, files: 2 } },
    checkpointAt: T0 + 500,
    watermark: T0 - 1000,
    flushSeconds: {
      bounds: [0.1, 1],
      counts: [1, 1, 0],
      sum: 0.6,
      count: 2,
    },
    audience: {
      asOf: T0,
      viewers: { VTM: 7, "VRT1": 3 },
      byService: { Pickx: 10 },
      byDevice: { STB: 10 },
      byRegion: { VLG: 6, WAL: 4 },
      adMinutesPerHour: { VTM: 9 },
      quality: {
        attempts: 100,
        failures: 2,
        exits: 5,
        playSec: 995,
        rebufferSec: 5,
        startups: 90,
        startupP50Ms: 2000,
        startupP90Ms: 6500,
      },
    },
  };
  state.report({ type: "progress", role: "generator", stats: g });
  state.report({ type: "progress", role: "consumer", stats: c });
  state.report({ type: "retry", role: "fetcher", error: "REQUEST_TIMED_OUT" });
  state.tick(T0 + 1000);
  return state;
}

async function promtool(): Promise<boolean> {
  try {
    return (await new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

Deno.test("live server: /api/stats, /metrics and the page's files", async () => {
  const state = fedState();
  const server = startLiveServer(
    { host: "127.0.0.1", port: 0, explicit: true },
    state,
  );
  try {
    const stats = await (await fetch(`${server.url}api/stats`)).json();
    assert.equal(stats.pipeline.consumed, 900);
    assert.equal(stats.pipeline.lag, 100);
    assert.equal(stats.audience.viewersTotal, 10);
    assert.deepEqual(stats.audience.topChannels[0], {
      channel: "VTM",
      viewers: 7,
    });
    assert.equal(stats.quality.rebufferingRatio.value, 0.005);
    assert.deepEqual(stats.pipeline.retries, { REQUEST_TIMED_OUT: 1 });
    assert.equal(stats.history.length, 1);

    const metrics = await fetch(`${server.url}metrics`);
    assert.match(metrics.headers.get("content-type")!, /version=0\.0\.4/);
    const text = await metrics.text();
    assert.match(text, /^tvstream_events_consumed_total 900$/m);
    assert.match(text, /^tvstream_viewers\{channel="VTM"\} 7$/m);
    assert.match(
      text,
      /^tvstream_records_rejected_total\{reason="not_json"\} 15$/m,
    );
    assert.match(text, /^tvstream_flush_duration_seconds_bucket\{le="1"\} 2$/m);
    assert.match(
      text,
      /^tvstream_flush_duration_seconds_bucket\{le="\+Inf"\} 2$/m,
    );
    assert.match(text, /^tvstream_rebuffering_ratio 0\.005$/m);
    // Every family is described.
    const families = new Set(
      [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]),
    );
    for (
      const m of text.matchAll(
        /^(tvstream_[a-z0-9_]+?)(?:_bucket|_sum|_count)?[{ ]/gm,
      )
    ) {
      const name = m[1]!;
      assert.ok(
        families.has(name) ||
          families.has(name.replace(/_(bucket|sum|count)$/, "")),
        `no TYPE line for ${name}`,
      );
    }
    if (await promtool()) {
      const check = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = check.stdin.getWriter();
      await w.write(new TextEncoder().encode(text));
      await w.close();
      const out = await check.output();
      const said = new TextDecoder().decode(out.stderr) +
        new TextDecoder().decode(out.stdout);
      assert.ok(out.success, `promtool check metrics: ${said}`);
    } else console.log("promtool not installed: exposition lint skipped");

    const page = await fetch(server.url);
    assert.match(
      page.headers.get("content-security-policy")!,
      /default-src 'none'/,
    );
    const html = await page.text();
    for (const m of html.matchAll(/(?:src|href)="(\/[^"]*)"/g)) {
      const asset = await fetch(new URL(m[1]!, server.url));
      await asset.body?.cancel();
      assert.equal(asset.status, 200, m[1]);
    }
    assert.doesNotMatch(html, /https?:\/\//, "the page names no other host");
    const missing = await fetch(`${server.url}nope`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    const post = await fetch(`${server.url}api/stats`, { method: "POST" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
  } finally {
    await server.close();
  }
});

Deno.test("live server: Server-Sent Events carry each new snapshot, and close with the server", async () => {
  const state = fedState();
  const server = startLiveServer(
    { host: "127.0.0.1", port: 0, explicit: true },
    state,
  );
  const response = await fetch(`${server.url}api/events`);
  assert.equal(
    response.headers.get("content-type"),
    "text/event-stream; charset=utf-8",
  );
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  const seqs: number[] = [];
  let buffered = "";
  while (seqs.length < 3) {
    if (seqs.length > 0) state.tick(T0 + 1000 * (seqs.length + 1));
    const { value } = await reader.read();
    buffered += value ?? "";
    for (const m of buffered.matchAll(/^data: (.*)$/gm)) {
      const seq = JSON.parse(m[1]!).seq as number;
      if (!seqs.includes(seq)) seqs.push(seq);
    }
  }
  assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
  await server.close();
  // The server's close ends the stream: the read finishes.
  while (!(await reader.read()).done);
});

Deno.test("live server: a taken default port moves to the next; a taken --http port is an error naming it", async () => {
  const state = fedState();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const server = startLiveServer(
      { host: "127.0.0.1", port, explicit: false },
      state,
    );
    assert.notEqual(new URL(server.url).port, String(port));
    await server.close();
    assert.throws(
      () => startLiveServer({ host: "127.0.0.1", port, explicit: true }, state),
      new RegExp(`127\\.0\\.0\\.1:${port}: the port is in use`),
    );
  } finally {
    taken.close();
  }
});

Deno.test("live server: POST /api/incidents takes JSON only, answers what the trigger says, 409 with no stream", async () => {
  const state = fedState();
  const asked: string[] = [];
  const server = startLiveServer(
    { host: "127.0.0.1", port: 0, explicit: true },
    state,
    (spec) => {
      asked.push(spec);
      return spec.startsWith("bad")
        ? { status: 400, body: { error: "no" } }
        : { status: 202, body: { accepted: spec } };
    },
  );
  const none = startLiveServer(
    { host: "127.0.0.1", port: 0, explicit: true },
    state,
  );
  const post = (url: string, body: string, type = "application/json") =>
    fetch(`${url}api/incidents`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
  try {
    assert.equal((await post(server.url, "x", "text/plain")).status, 415);
    assert.equal((await post(server.url, "{")).status, 400);
    assert.equal((await post(server.url, '{"kind": 1}')).status, 400);
    assert.deepEqual(await post(server.url, '{"incident": "bad one"}'), {
      status: 400,
      body: { error: "no" },
    });
    assert.deepEqual(
      await post(server.url, '{"incident": "ad_server_down"}'),
      { status: 202, body: { accepted: "ad_server_down" } },
    );
    assert.deepEqual(asked, ["bad one", "ad_server_down"]);
    assert.equal((await post(none.url, '{"incident": "x"}')).status, 409);
    const listed = await fetch(`${server.url}api/incidents`);
    assert.deepEqual(await listed.json(), []);
  } finally {
    await server.close();
    await none.close();
  }
});

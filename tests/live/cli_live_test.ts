/**
 * The live view from the command line: the address printed once, a taken
 * port, `--http off`, and the SASL password never served.
 */
import assert from "node:assert/strict";
import { spawnTvstream, tvstream } from "../_cli.ts";
import { withTmpDir } from "../_helpers.ts";
import { freePort } from "../../tools/net.ts";
import { readTable } from "../../tools/read_table.ts";
import { Browser, findChromium } from "../../tools/browser.ts";

const BACKFILL = ["run", "--from", "2026-11-02", "--rate", "0", "--events"];

Deno.test("cli: a port taken without --http moves to the next; with --http naming it, exit 1 naming it", async () => {
  await using tmp = await withTmpDir();
  let taken: Deno.Listener | undefined;
  try {
    taken = Deno.listen({ hostname: "127.0.0.1", port: 8787 });
  } catch {
    // Already taken by something else: the same situation.
  }
  try {
    const moved = await tvstream([...BACKFILL, "3000"], { cwd: tmp.path });
    assert.equal(moved.code, 0, moved.stderr);
    const urls = [
      ...moved.stderr.matchAll(/live view at (http:\/\/127\.0\.0\.1:(\d+)\/)/g),
    ];
    assert.equal(urls.length, 1, moved.stderr);
    assert.notEqual(urls[0]![2], "8787");

    const refused = await tvstream(
      [...BACKFILL, "3000", "--http", "127.0.0.1:8787"],
      { cwd: tmp.path },
    );
    assert.equal(refused.code, 1, refused.stderr);
    const lines = refused.stderr.trim().split("\n");
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0]!, /127\.0\.0\.1:8787: the port is in use/);
  } finally {
    taken?.close();
  }
});

Deno.test("cli: --http off serves nothing and prints no address", async () => {
  await using tmp = await withTmpDir();
  const r = await tvstream([...BACKFILL, "2000", "--http", "off"], {
    cwd: tmp.path,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /live view/);
});

Deno.test("cli: a live view on another interface is served with a warning", async () => {
  await using tmp = await withTmpDir();
  const r = await tvstream([...BACKFILL, "2000", "--http", "0.0.0.0:0"], {
    cwd: tmp.path,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /listens on 0\.0\.0\.0: other machines can reach it/);
});

Deno.test("cli: the SASL password never appears in any endpoint", async () => {
  await using tmp = await withTmpDir();
  const secret = "hunter2-live-view-secret";
  const port = freePort();
  // Nothing listens there: the consumer keeps trying while we read.
  const deadBroker = `127.0.0.1:${freePort()}`;
  const child = spawnTvstream([
    "consume",
    "--bootstrap",
    deadBroker,
    "--sasl-mechanism",
    "plain",
    "--sasl-username",
    "alice",
    "--http",
    `127.0.0.1:${port}`,
  ], { cwd: tmp.path, env: { TVSTREAM_SASL_PASSWORD: secret } });
  const base = `http://127.0.0.1:${port}`;
  const bodies: string[] = [];
  try {
    for (let i = 0; i < 60 && bodies.length < 16; i++) {
      await new Promise((r) => setTimeout(r, 250));
      for (const path of ["/", "/app.js", "/api/stats", "/metrics"]) {
        const body = await fetch(base + path).then((r) => r.text()).catch(
          () => undefined,
        );
        if (body !== undefined) bodies.push(body);
      }
    }
    const events = await fetch(`${base}/api/events`);
    const reader = events.body!.getReader();
    bodies.push(new TextDecoder().decode((await reader.read()).value));
    bodies.push(new TextDecoder().decode((await reader.read()).value));
    await reader.cancel();
  } finally {
    // A stop waits for the connection attempt: not what this test is about.
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel().catch(() => {});
  }
  const stats = bodies.filter((b) => b.startsWith('{"seq"'));
  assert.ok(stats.length >= 4, `${stats.length} snapshots read`);
  assert.equal(JSON.parse(stats[0]!).transport, "kafka");
  for (const body of bodies) assert.ok(!body.includes(secret));
});

/**
 * Starts an incident from the dashboard's Incidents panel in Chromium, and
 * checks the page says it was accepted; without Chromium, posts it.
 */
async function startFromPage(
  base: string,
  spec: string,
  post: (body: unknown) => Promise<Response>,
): Promise<void> {
  const chromium = await findChromium();
  if (!chromium) {
    console.log("chromium not installed: posting the incident instead");
    const ok = await post({ incident: spec });
    assert.equal(ok.status, 202);
    await ok.body?.cancel();
    return;
  }
  const browser = await Browser.launch(chromium);
  try {
    await browser.open(`${base}/`);
    await browser.evaluate(`(() => {
      document.getElementById("incident-spec").value = ${JSON.stringify(spec)};
      document.getElementById("incident-start").click();
      return true;
    })()`);
    let result = "";
    for (let i = 0; i < 50 && !result.startsWith("accepted"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await browser.evaluate<string>(
        `document.getElementById("incident-result").textContent`,
      );
    }
    assert.equal(result, `accepted: ${spec}`);
    let shown = "";
    for (let i = 0; i < 50 && !shown.includes("on air"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      shown = await browser.evaluate<string>(
        `document.querySelector("#incidents li").textContent`,
      );
    }
    assert.match(shown, /^ad_server_down at=.* \(on air\)$/);
    assert.deepEqual(browser.errors, []);
  } finally {
    await browser.close();
  }
}

Deno.test("cli: POST /api/incidents starts an incident in the running stream; bad ones get a one-line 400", async () => {
  await using tmp = await withTmpDir();
  const port = freePort();
  const child = spawnTvstream([
    "run",
    "--from",
    "2026-11-02T19:00:00Z",
    "--to",
    "2026-11-02T21:00:00Z",
    "--households",
    "400",
    "--rate",
    "6000",
    "--http",
    `127.0.0.1:${port}`,
    "--quiet",
  ], { cwd: tmp.path });
  const base = `http://127.0.0.1:${port}`;
  const post = (body: unknown, type = "application/json") =>
    fetch(`${base}/api/incidents`, {
      method: "POST",
      headers: { "content-type": type },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  try {
    let up = false;
    for (let i = 0; i < 80 && !up; i++) {
      await new Promise((r) => setTimeout(r, 100));
      up = await fetch(`${base}/api/stats`).then((r) => r.body?.cancel()).then(
        () => true,
        () => false,
      );
    }
    const plain = await post("ad_server_down", "text/plain");
    assert.equal(plain.status, 415, "a cross-site form cannot post it");
    await plain.body?.cancel();
    const typo = await post({ incident: "cdn_outage cdn=Akamaii" });
    assert.equal(typo.status, 400);
    assert.match((await typo.json()).error, /no cdn "Akamaii" in the scenario/);
    await startFromPage(base, "ad_server_down for=2h severity=1", post);
    let listed: { spec: string; fromMs: number }[] = [];
    for (let i = 0; i < 50 && listed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      listed = await (await fetch(`${base}/api/incidents`)).json();
    }
    assert.equal(listed.length, 1);
    assert.match(
      listed[0]!.spec,
      /^ad_server_down at=2026-11-02T\d\d:\d\dZ for=120m severity=1$/,
    );
    // Let the stream run on into the incident before stopping it.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stderr.cancel().catch(() => {});
  }
  const v = await tvstream(["validate", "--json"], { cwd: tmp.path });
  const report = JSON.parse(v.stdout);
  assert.ok(report.events > 1000);
  for (const [rule, r] of Object.entries(report.violations)) {
    assert.equal((r as { count: number }).count, 0, rule);
  }
  // The incident's failed ad calls reached the warehouse.
  const rows = await readTable(`${tmp.path}/warehouse`, "tv_events", [
    "errorCode",
  ]);
  const failed = rows.filter((r) => r.values["errorCode"] === "ADS-503");
  assert.ok(failed.length > 0, `${rows.length} rows, none ADS-503`);
});

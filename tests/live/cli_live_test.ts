/**
 * The live view from the command line: the address printed once, a taken
 * port, `--http off`, and the SASL password never served.
 */
import assert from "node:assert/strict";
import { spawnTvstream, tvstream } from "../_cli.ts";
import { withTmpDir } from "../_helpers.ts";
import { freePort } from "../../tools/net.ts";

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

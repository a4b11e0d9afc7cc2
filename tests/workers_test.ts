/**
 * The real worker files boot from static URLs, speak the protocol, and
 * report failures as messages instead of exiting.
 */
import assert from "node:assert/strict";
import type { Command, Report } from "../src/protocol.ts";
import { config, withTmpDir } from "./_helpers.ts";

function spawn(
  name: string,
): {
  worker: Worker;
  reports: Report[];
  next: (type: Report["type"]) => Promise<Report>;
} {
  const worker = new Worker(new URL(`../workers/${name}.ts`, import.meta.url), {
    type: "module",
  });
  const reports: Report[] = [];
  const waiters: [Report["type"], (r: Report) => void][] = [];
  worker.addEventListener("message", (e) => {
    const r = e.data as Report;
    reports.push(r);
    for (const w of waiters.filter(([t]) => t === r.type)) w[1](r);
  });
  return {
    worker,
    reports,
    next: (type) =>
      new Promise((resolve) => {
        const found = reports.find((r) => r.type === type);
        if (found) resolve(found);
        else waiters.push([type, resolve]);
      }),
  };
}

Deno.test("the real workers run the embedded pipeline over a MessageChannel", async () => {
  await using tmp = await withTmpDir();
  const cfg = config([
    "--from",
    "2026-11-02T20:00:00Z",
    "--to",
    "2026-11-02T20:30:00Z",
    "--households",
    "30",
    "--rate",
    "0",
    "--warehouse",
    `${tmp.path}/w`,
    "--checkpoint",
    `${tmp.path}/c`,
  ]);
  const g = spawn("generator");
  const c = spawn("consumer");
  const channel = new MessageChannel();
  try {
    c.worker.postMessage(
      { type: "start", config: cfg, port: channel.port2 } satisfies Command,
      [channel.port2],
    );
    g.worker.postMessage(
      { type: "start", config: cfg, port: channel.port1 } satisfies Command,
      [channel.port1],
    );
    const gs = await g.next("stopped");
    const cs = await c.next("stopped");
    assert.equal(gs.type, "stopped");
    assert.equal(cs.type, "stopped");
    if (gs.type === "stopped" && cs.type === "stopped") {
      assert.ok(gs.stats.events > 100);
      assert.equal(cs.stats.rows, gs.stats.events);
    }
  } finally {
    g.worker.terminate();
    c.worker.terminate();
  }
});

Deno.test("a worker that fails reports 'failed' with the error, and does not exit", async () => {
  await using tmp = await withTmpDir();
  await Deno.writeTextFile(`${tmp.path}/file`, "x");
  const cfg = config([
    "--warehouse",
    `${tmp.path}/w`,
    "--checkpoint",
    `${tmp.path}/file/c`,
  ]);
  const c = spawn("consumer");
  const channel = new MessageChannel();
  try {
    c.worker.postMessage(
      { type: "start", config: cfg, port: channel.port2 } satisfies Command,
      [channel.port2],
    );
    const r = await c.next("failed");
    assert.equal(r.type, "failed");
    if (r.type === "failed") assert.match(r.error.message, /file\/c/);
  } finally {
    c.worker.terminate();
    channel.port1.close();
  }
});

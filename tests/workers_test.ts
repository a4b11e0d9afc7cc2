/**
 * The real worker files boot from static URLs, speak the protocol, and
 * report failures as messages instead of exiting.
 */
import assert from "node:assert/strict";
import type {
  Command,
  Report,
  SamplerCommand,
  SamplerReport,
} from "../src/protocol.ts";
import type { World } from "../src/world/world.ts";
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

/** A sampler worker's reports, in order, until "end" or "failed". */
async function sampleFrom(
  command: SamplerCommand,
  credits: number,
): Promise<SamplerReport[]> {
  const worker = new Worker(
    new URL("../workers/sampler.ts", import.meta.url),
    { type: "module" },
  );
  const reports: SamplerReport[] = [];
  try {
    await new Promise<void>((resolve) => {
      worker.addEventListener("message", (e) => {
        const r = e.data as SamplerReport;
        reports.push(r);
        if (r.type !== "chunk") resolve();
        // Credit the first chunks only: the worker must stop and wait.
        else if (credits-- > 0) {
          worker.postMessage({ type: "credit" } satisfies SamplerCommand);
        } else setTimeout(resolve, 300);
      });
      worker.postMessage(command);
    });
  } finally {
    worker.terminate();
  }
  return reports;
}

const SAMPLE: SamplerCommand = {
  type: "sample",
  settings: { seed: 4, households: 40, toMs: Date.parse("2026-11-03T22:00Z") },
  shard: { index: 1, count: 2 },
  fromMs: Date.parse("2026-11-03T19:00Z"),
  limit: 100_000,
  chunkEvents: 500,
};

Deno.test("the sampler worker sends its shard in chunks, no more than credit allows", async () => {
  const reports = await sampleFrom(SAMPLE, 2);
  const chunks = reports.filter((r) => r.type === "chunk");
  // Three chunks at first, two more for the two credits, then it waits.
  assert.equal(chunks.length, 3 + 2);
  assert.equal(reports.at(-1)!.type, "chunk");
  for (const c of chunks) {
    if (c.type !== "chunk") continue;
    const text = new TextDecoder().decode(c.chunk.bytes);
    assert.equal(c.chunk.count, 500);
    assert.equal(text.split("\n").length, 501);
    assert.equal(c.chunk.ends[499], c.chunk.bytes.length);
    assert.ok(c.chunk.t[0]! <= c.chunk.t[499]!);
  }
  const all = await sampleFrom({ ...SAMPLE, chunkEvents: 50_000 }, 10);
  assert.equal(all.at(-1)!.type, "end");
});

Deno.test("a sampler worker that fails reports 'failed' with the error, and does not exit", async () => {
  const reports = await sampleFrom({
    ...SAMPLE,
    settings: { ...SAMPLE.settings, world: {} as World },
  }, 0);
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.type, "failed");
});

/**
 * The Kafka path against a real Kafka-protocol cluster (kcat's mock brokers):
 * tvstream and kcat read each other's records, a producer killed with
 * SIGKILL resumes without loss, two consumers in one group survive one
 * being killed, and secrets never reach the output.
 */
import assert from "node:assert/strict";
import { SCHEMA_VERSION } from "../src/model/event.ts";
import { readTable } from "../tools/read_table.ts";
import { spawnTvstream, tvstream } from "./_cli.ts";
import { events, withTmpDir } from "./_helpers.ts";
import { hasKcat, kafkaTest, kcat, startMockCluster } from "./_kafka.ts";

const KCAT = await hasKcat();
if (!KCAT) {
  console.warn(
    "kcat is not installed: skipping the Kafka tests (apt-get install kcat)",
  );
}
const test = kafkaTest(KCAT);

/** How long the outage test freezes the brokers (`deno task outage` sets a minute). */
const FREEZE_S = Number(Deno.env.get("TVSTREAM_FREEZE_S") ?? 12);

/** The generator flags of a simulated window: from and to on 2 November 2026 (UTC hours). */
function windowFlags(
  fromHour: number,
  toHour: number,
  households: number,
  seed: number,
): string[] {
  const at = (h: number) => `2026-11-02T${String(h).padStart(2, "0")}:00:00Z`;
  return [
    "--from",
    at(fromHour),
    "--to",
    at(toHour),
    "--households",
    String(households),
    "--seed",
    String(seed),
  ];
}

const WINDOW = windowFlags(19, 20, 40, 3);

async function warehouseIds(
  dir: string,
  topic = "tv_events",
): Promise<string[]> {
  const rows = await readTable(`${dir}/warehouse`, topic, ["eventId"]);
  return rows.map((r) => r.values["eventId"] as string).sort();
}

/** Runs `consume` until the topic is drained, into `cwd`'s warehouse. */
async function consumeAll(bootstrap: string, cwd: string): Promise<void> {
  const c = await tvstream([
    "consume",
    "--bootstrap",
    bootstrap,
    "--until-idle",
    "4",
    "--quiet",
  ], { cwd });
  assert.equal(c.code, 0, c.stderr);
}

async function referenceIds(cwd: string, flags = WINDOW): Promise<string[]> {
  const r = await tvstream(["sample", "-n", "10000000", ...flags], { cwd });
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l).eventId).sort();
}

test("tvstream produce -> kcat: values parse, keys are tvId, timestamps and headers are set", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const ref = await referenceIds(tmp.path);
  for (const headers of ["all", "seq"]) {
    const topic = `tv_${headers}`;
    const p = await tvstream([
      "produce",
      "--bootstrap",
      cluster.bootstrap,
      "--topic",
      topic,
      ...(headers === "seq" ? ["--headers", "seq"] : []),
      ...WINDOW,
      "--rate",
      "0",
      "--quiet",
      "--checkpoint",
      `${tmp.path}/chk-${topic}`,
    ], { cwd: tmp.path });
    assert.equal(p.code, 0, p.stderr);
    const out = await kcat([
      "-C",
      "-b",
      cluster.bootstrap,
      "-t",
      topic,
      "-e",
      "-q",
      "-f",
      "%k\t%T\t%h\t%s\n",
    ]);
    const lines = out.trim().split("\n");
    assert.equal(lines.length, ref.length);
    const seqs = new Set<number>();
    for (const line of lines) {
      const [key, ts, h, value] = line.split("\t");
      const e = JSON.parse(value!);
      assert.equal(key, e.tvId);
      assert.equal(Number(ts), Date.parse(e.timestamp));
      if (headers === "all") {
        assert.match(h!, new RegExp(`event=${e.event}`));
        assert.match(h!, new RegExp(`schema=${SCHEMA_VERSION}(,|$)`));
      } else {
        assert.match(h!, /^seq=\d+$/, "only the seq header");
      }
      seqs.add(Number(/seq=(\d+)/.exec(h!)![1]));
    }
    assert.equal(seqs.size, lines.length);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l.split("\t")[3]!).eventId).sort(),
      ref,
    );
  }
});

test("kcat produce -> tvstream consume: valid records land, bad ones are rejected", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const good = events(600, { households: 30 });
  const lines: string[] = [];
  good.forEach((e, i) => {
    lines.push(`${e.tvId}\t${JSON.stringify(e)}`);
    if (i % 100 === 0) lines.push(`bad\tnot json ${i}`);
  });
  await kcat(
    ["-P", "-b", cluster.bootstrap, "-t", "mixed", "-K", "\t"],
    lines.join("\n") + "\n",
  );
  const c = await tvstream([
    "consume",
    "--bootstrap",
    cluster.bootstrap,
    "--topic",
    "mixed",
    "--until-idle",
    "4",
    "--quiet",
  ], { cwd: tmp.path });
  assert.equal(c.code, 0, c.stderr);
  const ids = await warehouseIds(tmp.path, "mixed");
  assert.deepEqual(ids, good.map((e) => e.eventId).sort());
  const inspect = async () =>
    JSON.parse(
      (await tvstream(
        [
          "inspect",
          "--json",
          "--topic",
          "mixed",
          "--bootstrap",
          cluster.bootstrap,
        ],
        { cwd: tmp.path },
      )).stdout,
    );
  const info = await inspect();
  assert.equal(info.rejected, 6);
  const lag = (x: Record<string, number>) =>
    Object.values(x).reduce((a, b) => a + b, 0);
  assert.equal(lag(info.lag), 0, "caught up: no lag");
  await kcat([
    "-P",
    "-b",
    cluster.bootstrap,
    "-t",
    "mixed",
    "-K",
    "\t",
    "-p",
    "0",
  ], "k\tone more\nk\ttwo more\n");
  assert.equal((await inspect()).lag["0"], 2);
});

test("a checkpoint behind the broker's retention stops the consumer naming the range; skip records the gap", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const toPartition0 = (lines: string[]) =>
    kcat(
      ["-P", "-b", cluster.bootstrap, "-t", "ret", "-p", "0", "-K", "\t"],
      lines.join("\n") + "\n",
    );
  // kcat's mock makes a rejoining group wait for the old member's session
  // timeout even after LeaveGroup: keep it short.
  const consume = (...extra: string[]) =>
    tvstream([
      "consume",
      "--bootstrap",
      cluster.bootstrap,
      "--topic",
      "ret",
      "--until-idle",
      "4",
      "--session-timeout",
      "6",
      "--quiet",
      ...extra,
    ], { cwd: tmp.path });
  const good = events(100, { households: 10 });
  await toPartition0(good.map((e) => `${e.tvId}\t${JSON.stringify(e)}`));
  const first = await consume();
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await warehouseIds(tmp.path, "ret")).length, 100);
  // kcat's mock keeps about 5 MB per partition: 7,000 records of 1 kB
  // push the log start far past offset 100, where the checkpoint is.
  const junk = "x".repeat(1000);
  await toPartition0(Array.from({ length: 7_000 }, (_, i) => `k\t${i}${junk}`));
  // kafkajs may first fetch from the group's committed offset, get
  // OFFSET_OUT_OF_RANGE and take a few seconds to reset: a longer idle limit.
  const lost = await consume("--until-idle", "15");
  assert.equal(lost.code, 1, lost.stderr);
  const match =
    /Data loss on topic "ret" partition 0: offsets 100 to (\d+) are gone/
      .exec(lost.stderr);
  assert.ok(match, lost.stderr);
  const lastLost = Number(match[1]);
  assert.ok(lastLost > 100 && lastLost < 7_099, lost.stderr);
  assert.equal(lost.stderr.trim().split("\n").length, 1, lost.stderr);
  const checkpoint = `${tmp.path}/chk/ret/partitions/0.json`;
  assert.equal(JSON.parse(await Deno.readTextFile(checkpoint)).next, "100");

  const skipped = await consume("--on-data-loss", "skip", "--until-idle", "15");
  assert.equal(skipped.code, 0, skipped.stderr);
  const cp = JSON.parse(await Deno.readTextFile(checkpoint));
  assert.equal(cp.next, "7100");
  assert.deepEqual(cp.gaps, [{ from: "100", to: String(lastLost + 1) }]);
  // Everything the broker still had was read (the junk is rejected).
  assert.equal(cp.rejected, 7_099 - lastLost);
  assert.equal((await warehouseIds(tmp.path, "ret")).length, 100);
});

test("produce killed with SIGKILL twice resumes the same stream: the warehouse has exactly the uninterrupted run", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const flags = windowFlags(17, 22, 14, 4);
  const args = [
    "produce",
    "--bootstrap",
    cluster.bootstrap,
    ...flags,
    "--rate",
    "2500",
    "--compression",
    "gzip",
    "--quiet",
  ];
  for (const wait of [3000, 2500]) {
    const child = spawnTvstream(args, { cwd: tmp.path });
    const died = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), wait)),
    ]);
    if (died) {
      throw new Error(
        `producer exited early: ${await new Response(child.stderr).text()}`,
      );
    }
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
    const state = JSON.parse(
      await Deno.readTextFile(`${tmp.path}/chk/tv_events/producer.json`),
    );
    assert.ok(
      state.position.seq > 0,
      "some batches were acknowledged before the kill",
    );
  }
  const finish = await tvstream(args, { cwd: tmp.path });
  assert.equal(finish.code, 0, finish.stderr);
  await consumeAll(cluster.bootstrap, tmp.path);
  const ids = await warehouseIds(tmp.path);
  const ref = await referenceIds(tmp.path, flags);
  assert.ok(ref.length > 20_000);
  assert.deepEqual(ids, ref);
});

test("brokers frozen mid-run cost time, never events: producer and consumer resume, the warehouse is exact", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const flags = windowFlags(18, 20, 12, 6);
  const producer = spawnTvstream([
    "produce",
    "--bootstrap",
    cluster.bootstrap,
    ...flags,
    "--rate",
    "2000",
    "--quiet",
  ], { cwd: tmp.path });
  const consumer = spawnTvstream([
    "consume",
    "--bootstrap",
    cluster.bootstrap,
    "--flush-interval",
    "1",
    "--until-idle",
    String(FREEZE_S + 8),
    "--quiet",
  ], { cwd: tmp.path });
  let producing = true;
  producer.status.then(() => producing = false);
  await new Promise((r) => setTimeout(r, 3000));
  cluster.freeze();
  // The freeze lands mid-run: the producer has not finished its window.
  assert.ok(producing, "the producer was still running at the freeze");
  await new Promise((r) => setTimeout(r, FREEZE_S * 1000));
  cluster.thaw();
  const [p, c] = await Promise.all([producer.status, consumer.status]);
  const [pErr, cErr] = await Promise.all([
    new Response(producer.stderr).text(),
    new Response(consumer.stderr).text(),
  ]);
  assert.equal(p.code, 0, pErr);
  assert.equal(c.code, 0, cErr);
  const ids = await warehouseIds(tmp.path);
  const ref = await referenceIds(tmp.path, flags);
  assert.ok(ref.length > 10_000, `${ref.length} events`);
  assert.equal(new Set(ids).size, ids.length, "no duplicate");
  assert.deepEqual(ids, ref);
});

test("two consumers in one group, one killed with SIGKILL mid-run: no loss, no duplicate", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const p = await tvstream([
    "produce",
    "--bootstrap",
    cluster.bootstrap,
    ...WINDOW,
    "--rate",
    "0",
    "--compression",
    "gzip",
    "--quiet",
  ], { cwd: tmp.path });
  assert.equal(p.code, 0, p.stderr);
  const consumeArgs = [
    "consume",
    "--bootstrap",
    cluster.bootstrap,
    "--session-timeout",
    "6",
    "--max-file-rows",
    "500",
    "--flush-interval",
    "1",
    "--quiet",
  ];
  const a = spawnTvstream(consumeArgs, { cwd: tmp.path });
  await new Promise((r) => setTimeout(r, 1500));
  const b = spawnTvstream([
    ...consumeArgs,
    "--until-idle",
    "15",
    "--duration",
    "150",
  ], {
    cwd: tmp.path,
  });
  await new Promise((r) => setTimeout(r, 3000));
  a.kill("SIGKILL");
  await a.status;
  await a.stderr.cancel();
  const status = await b.status;
  const err = await new Response(b.stderr).text();
  assert.equal(status.code, 0, err);
  const ids = await warehouseIds(tmp.path);
  const ref = await referenceIds(tmp.path);
  assert.equal(new Set(ids).size, ids.length, "no duplicate");
  assert.deepEqual(ids, ref);
});

test("a SASL password never appears in output, even with --debug", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const secret = "s3cr3t-Pa55w0rd-xyz";
  const r = await tvstream(
    [
      "produce",
      "--bootstrap",
      cluster.bootstrap,
      "--sasl-mechanism",
      "plain",
      "--sasl-username",
      "alice",
      "--connect-timeout",
      "4",
      "--events",
      "10",
      "--debug",
    ],
    { cwd: tmp.path, env: { TVSTREAM_SASL_PASSWORD: secret } },
  );
  assert.notEqual(r.code, 0);
  assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), r.stderr);
  await Deno.writeTextFile(`${tmp.path}/pw`, secret);
  const f = await tvstream(
    [
      "produce",
      "--bootstrap",
      cluster.bootstrap,
      "--sasl-mechanism",
      "plain",
      "--sasl-username",
      "alice",
      "--sasl-password-file",
      `${tmp.path}/pw`,
      "--connect-timeout",
      "4",
      "--events",
      "10",
      "--debug",
    ],
    { cwd: tmp.path },
  );
  assert.ok(!f.stderr.includes(secret) && !f.stdout.includes(secret), f.stderr);
});

test("four produce --shard K/4 processes, one killed with SIGKILL and resumed, write exactly the unsharded stream; consume lands it", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const flags = windowFlags(18, 21, 12, 8);
  const produce = (k: number) => [
    "produce",
    "--bootstrap",
    cluster.bootstrap,
    ...flags,
    "--shard",
    `${k}/4`,
    "--rate",
    "8000",
    "--quiet",
  ];
  const children = [1, 2, 3, 4].map((k) =>
    spawnTvstream(produce(k), { cwd: tmp.path })
  );
  await new Promise((r) => setTimeout(r, 2500));
  children[1]!.kill("SIGKILL");
  const codes = await Promise.all(children.map((c) => c.status));
  for (const c of children) await c.stderr.cancel();
  assert.deepEqual(codes.map((c) => c.code), [0, 137, 0, 0]);
  const killed = JSON.parse(
    await Deno.readTextFile(`${tmp.path}/chk/tv_events/producer-2-of-4.json`),
  );
  assert.ok(killed.position.seq > 0, "shard 2 had batches acknowledged");
  const resumed = await tvstream(produce(2), { cwd: tmp.path });
  assert.equal(resumed.code, 0, resumed.stderr);

  const sample = await tvstream(["sample", "-n", "10000000", ...flags], {
    cwd: tmp.path,
  });
  const whole = sample.stdout.trim().split("\n");
  const out = await kcat([
    "-C",
    "-b",
    cluster.bootstrap,
    "-t",
    "tv_events",
    "-e",
    "-q",
    "-f",
    "%h\t%s\n",
  ]);
  const lines = out.trim().split("\n");
  assert.match(lines[0]!, /shard=[1-4]\/4/);
  // The topic holds the unsharded stream, plus what shard 2 wrote again
  // after its kill (at most a second of events, dropped by the consumer).
  const distinct = [...new Set(lines.map((l) => l.split("\t")[1]!))];
  assert.equal(await sha256(distinct.sort()), await sha256(whole.sort()));

  await consumeAll(cluster.bootstrap, tmp.path);
  const ids = await warehouseIds(tmp.path);
  assert.deepEqual(ids, whole.map((l) => JSON.parse(l).eventId).sort());
});

/** SHA-256 of lines joined by newlines, as hex. */
async function sha256(lines: string[]): Promise<string> {
  const bytes = new TextEncoder().encode(lines.join("\n"));
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

test("a scenario's own event type goes through Kafka: consume --scenario lands it in its columns; without, it is rejected, never lost", async () => {
  await using cluster = await startMockCluster();
  await using tmp = await withTmpDir();
  const printed = await tvstream(
    ["scenario", "--print", "--scenario", "demo"],
    {
      cwd: tmp.path,
    },
  );
  const world = JSON.parse(printed.stdout);
  world.eventTypes = [{
    name: "remote_key",
    during: "tune",
    perHour: 30,
    fields: { key: { choice: ["ok", "back", "guide"] } },
  }];
  await Deno.writeTextFile(`${tmp.path}/keys.json`, JSON.stringify(world));
  const flags = [...windowFlags(19, 20, 40, 5), "--scenario", "keys.json"];
  const p = await tvstream([
    "produce",
    "--bootstrap",
    cluster.bootstrap,
    ...flags,
    "--rate",
    "0",
    "--quiet",
  ], { cwd: tmp.path });
  assert.equal(p.code, 0, p.stderr);
  const sample = await tvstream(["sample", "-n", "10000000", ...flags], {
    cwd: tmp.path,
  });
  const keys =
    sample.stdout.split("\n").filter((l) =>
      l.startsWith('{"event":"remote_key"')
    ).length;
  assert.ok(keys > 20, `${keys} remote_key events`);
  const consume = (dir: string, extra: string[]) =>
    tvstream([
      "consume",
      "--bootstrap",
      cluster.bootstrap,
      "--warehouse",
      `${dir}/warehouse`,
      "--checkpoint",
      `${dir}/chk`,
      "--group",
      dir,
      "--until-idle",
      "4",
      "--quiet",
      ...extra,
    ], { cwd: tmp.path });
  const blind = await consume("blind", []);
  assert.equal(blind.code, 0, blind.stderr);
  const inspect = JSON.parse(
    (await tvstream(["inspect", "--json", "--warehouse", "blind/warehouse"], {
      cwd: tmp.path,
    })).stdout,
  );
  assert.equal(inspect.rejected, keys, "rejected, not lost");
  const seeing = await consume("seeing", ["--scenario", "keys.json"]);
  assert.equal(seeing.code, 0, seeing.stderr);
  const rows = await readTable(`${tmp.path}/seeing/warehouse`, "tv_events", [
    "event",
    "key",
  ]);
  const landed = rows.filter((r) => r.values["event"] === "remote_key");
  assert.equal(landed.length, keys);
  assert.deepEqual(
    [...new Set(landed.map((r) => r.values["key"]))].sort(),
    ["back", "guide", "ok"],
  );
});

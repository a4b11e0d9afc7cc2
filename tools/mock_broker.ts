/**
 * A librdkafka mock cluster in a process of its own, with broker faults
 * injected through librdkafka's C API (Deno FFI). It prints one JSON line,
 * `{"bootstrap":"127.0.0.1:P1,..."}`, then reads one JSON command a line on
 * stdin and answers each with `{"ok":true}` or `{"ok":false,"error":"..."}`.
 * It lives apart from the process under test, so that a SIGKILL of tvstream
 * never takes the brokers with it.
 *
 * Usage: deno run --allow-ffi --allow-env tools/mock_broker.ts [brokers]
 *
 * @module
 */

/** A fault or setup step, as sent on stdin. */
export type MockCommand =
  | { op: "down" | "up"; broker: number }
  | { op: "rtt"; broker: number; ms: number }
  | { op: "errors"; apiKey: number; codes: number[] }
  | { op: "leader"; topic: string; partition: number; broker: number }
  | { op: "coordinator"; group: string; broker: number }
  | { op: "topic"; topic: string; partitions: number; replication: number }
  | { op: "clear"; apiKey: number };

const lib = Deno.dlopen("librdkafka.so.1", {
  rd_kafka_conf_new: { parameters: [], result: "pointer" },
  rd_kafka_conf_set: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "usize"],
    result: "i32",
  },
  rd_kafka_new: {
    parameters: ["i32", "pointer", "buffer", "usize"],
    result: "pointer",
  },
  rd_kafka_mock_cluster_new: {
    parameters: ["pointer", "i32"],
    result: "pointer",
  },
  rd_kafka_mock_cluster_bootstraps: {
    parameters: ["pointer"],
    result: "pointer",
  },
  rd_kafka_mock_broker_set_down: {
    parameters: ["pointer", "i32"],
    result: "i32",
  },
  rd_kafka_mock_broker_set_up: {
    parameters: ["pointer", "i32"],
    result: "i32",
  },
  rd_kafka_mock_broker_set_rtt: {
    parameters: ["pointer", "i32", "i32"],
    result: "i32",
  },
  rd_kafka_mock_push_request_errors_array: {
    parameters: ["pointer", "i16", "usize", "buffer"],
    result: "void",
  },
  rd_kafka_mock_clear_request_errors: {
    parameters: ["pointer", "i16"],
    result: "void",
  },
  rd_kafka_mock_partition_set_leader: {
    parameters: ["pointer", "buffer", "i32", "i32"],
    result: "i32",
  },
  rd_kafka_mock_coordinator_set: {
    parameters: ["pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  rd_kafka_mock_topic_create: {
    parameters: ["pointer", "buffer", "i32", "i32"],
    result: "i32",
  },
});

const encoder = new TextEncoder();
/** A NUL-terminated C string. */
const cstr = (s: string) => encoder.encode(`${s}\0`);

function createCluster(brokers: number): Deno.PointerValue {
  const conf = lib.symbols.rd_kafka_conf_new();
  const errbuf = new Uint8Array(512);
  // The handle only hosts the cluster; keep its own logging quiet.
  lib.symbols.rd_kafka_conf_set(
    conf,
    cstr("log_level"),
    cstr("0"),
    errbuf,
    512n,
  );
  const rk = lib.symbols.rd_kafka_new(0, conf, errbuf, 512n);
  if (rk === null) throw new Error("rd_kafka_new failed");
  const mc = lib.symbols.rd_kafka_mock_cluster_new(rk, brokers);
  if (mc === null) throw new Error("rd_kafka_mock_cluster_new failed");
  return mc;
}

/** Applies one command; returns librdkafka's error code (0 = done). */
function apply(mc: Deno.PointerValue, c: MockCommand): number {
  const s = lib.symbols;
  switch (c.op) {
    case "down":
      return s.rd_kafka_mock_broker_set_down(mc, c.broker);
    case "up":
      return s.rd_kafka_mock_broker_set_up(mc, c.broker);
    case "rtt":
      return s.rd_kafka_mock_broker_set_rtt(mc, c.broker, c.ms);
    case "errors":
      s.rd_kafka_mock_push_request_errors_array(
        mc,
        c.apiKey,
        BigInt(c.codes.length),
        new Int32Array(c.codes),
      );
      return 0;
    case "clear":
      s.rd_kafka_mock_clear_request_errors(mc, c.apiKey);
      return 0;
    case "leader":
      return s.rd_kafka_mock_partition_set_leader(
        mc,
        cstr(c.topic),
        c.partition,
        c.broker,
      );
    case "coordinator":
      return s.rd_kafka_mock_coordinator_set(
        mc,
        cstr("group"),
        cstr(c.group),
        c.broker,
      );
    case "topic":
      return s.rd_kafka_mock_topic_create(
        mc,
        cstr(c.topic),
        c.partitions,
        c.replication,
      );
  }
}

if (import.meta.main) {
  const mc = createCluster(Number(Deno.args[0] ?? 3));
  const bootstrap = Deno.UnsafePointerView.getCString(
    lib.symbols.rd_kafka_mock_cluster_bootstraps(mc)!,
  );
  const out = (o: unknown) =>
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(o) + "\n"));
  out({ bootstrap });
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const chunk of lines) {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      try {
        const code = apply(mc, JSON.parse(line) as MockCommand);
        out(code === 0 ? { ok: true } : { ok: false, error: `code ${code}` });
      } catch (error) {
        out({ ok: false, error: String(error) });
      }
    }
  }
  // stdin closed: the test is done with the cluster.
  Deno.exit(0);
}

import assert from "node:assert/strict";
import { LineWriter } from "../src/kafka/lines.ts";

const decoder = new TextDecoder();

/** A write that takes a while, and checks its bytes did not change meanwhile. */
function slowSink() {
  const written: string[] = [];
  let inFlight = 0;
  let most = 0;
  const write = async (bytes: Uint8Array) => {
    const atCall = decoder.decode(bytes);
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    assert.equal(decoder.decode(bytes), atCall, "bytes changed while written");
    written.push(atCall);
    inFlight--;
  };
  return { write, written, most: () => most };
}

Deno.test("LineWriter writes every line in order, one write at a time, never refilling a buffer being written", async () => {
  const sink = slowSink();
  const out = new LineWriter(sink.write);
  const expected: string[] = [];
  for (let i = 0; i < 60_000; i++) {
    const line = `{"n":${i},"pad":"${"x".repeat(i % 97)}"}`;
    expected.push(line);
    out.lines.push(line);
    if (out.full) await out.flush();
  }
  await out.close();
  assert.ok(sink.written.length >= 3, `${sink.written.length} writes`);
  assert.equal(sink.most(), 1);
  assert.equal(sink.written.join(""), expected.join("\n") + "\n");
});

Deno.test("LineWriter: a failed write is thrown by the next flush or close, not left unhandled", async () => {
  let calls = 0;
  const out = new LineWriter(() => {
    calls++;
    return Promise.reject(new Deno.errors.BrokenPipe("closed"));
  });
  out.lines.push("a");
  await out.flush();
  // The failure waits for the next call, without an unhandled rejection.
  await new Promise((r) => setTimeout(r, 5));
  out.lines.push("b");
  await assert.rejects(out.flush(), Deno.errors.BrokenPipe);
  await assert.rejects(out.close(), Deno.errors.BrokenPipe);
  assert.equal(calls, 1);
});

/**
 * `tvstream validate`: coherence rules and KPIs over JSON lines or a warehouse.
 *
 * @module
 */
import type { ValidateConfig } from "../config.ts";
import { listTable } from "../warehouse/fs.ts";
import { parseFileName } from "../warehouse/partition.ts";
import { readParquetEvents } from "../warehouse/parquet_read.ts";
import {
  createValidator,
  RULES,
  type ValidationReport,
} from "../validate/validator.ts";

async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

/** Validates the input named by the config; returns the report. */
export async function validateInput(
  config: ValidateConfig,
): Promise<ValidationReport> {
  const v = createValidator(config.world, config.incidents);
  if (config.input !== undefined) {
    let stream: ReadableStream<Uint8Array>;
    if (config.input === "-") stream = Deno.stdin.readable;
    else {
      try {
        stream = (await Deno.open(config.input)).readable;
      } catch (error) {
        throw new Error(
          `Cannot read "${config.input}": ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    let n = 0;
    for await (const line of lines(stream)) {
      n++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = { invalidJsonLine: n };
      }
      v.feed(value);
    }
    return v.report();
  }
  const dates = await listTable(config.sink.warehouse, config.topic);
  if (dates.length === 0) {
    throw new Error(
      `No data under ${config.sink.warehouse}/${config.topic}: give a FILE, "-" for stdin, or --warehouse`,
    );
  }
  // The validator needs each device's events in time order. A device's
  // events live in one Kafka partition (keyed by tvId), a partition's files
  // within a day are in offset order, and days are read in order: so files
  // can be streamed one at a time, in bounded memory.
  for (const d of dates) {
    const files = [...d.files].sort((a, b) => {
      const pa = parseFileName(a.name), pb = parseFileName(b.name);
      return (pa?.partition ?? 0) - (pb?.partition ?? 0) ||
        (pa?.first ?? 0) - (pb?.first ?? 0);
    });
    for (const f of files) {
      for await (const group of readParquetEvents(f.path)) {
        for (const e of group) v.feed(e);
      }
    }
  }
  return v.report();
}

/** Prints the report; exit 1 on any violation or KPI out of range. */
export async function runValidate(
  config: ValidateConfig,
  write: (text: string) => Promise<void>,
): Promise<number> {
  const report = await validateInput(config);
  if (config.json) {
    await write(JSON.stringify(report, null, 2) + "\n");
    return report.ok ? 0 : 1;
  }
  const out = [
    `${report.events} events checked`,
    "",
    "rule              violations  what it checks",
  ];
  for (const [rule, v] of Object.entries(report.violations)) {
    out.push(
      `${rule.padEnd(17)} ${String(v.count).padStart(10)}  ${
        RULES[rule as keyof typeof RULES]
      }`,
    );
    for (const ex of v.examples) out.push(`    e.g. ${ex}`);
  }
  out.push(
    "",
    "kpi                              value       target          source",
  );
  for (const k of report.kpis) {
    const value = k.value === null
      ? "n/a"
      : Number.isInteger(k.value)
      ? String(k.value)
      : k.value.toFixed(4);
    out.push(
      `${k.ok ? "ok " : report.kpisJudged ? "OUT" : "ref"} ${
        k.name.padEnd(30)
      } ${value.padStart(9)}  [${k.min}, ${k.max}]`.padEnd(70) + ` ${k.source}`,
    );
  }
  if (report.incidents.length > 0) {
    out.push("", "incident (measured inside its window against outside it)");
  }
  for (const f of report.incidents) {
    const show = (x: number | null) =>
      x === null
        ? "n/a"
        : f.measure.includes("per hour")
        ? x.toFixed(2)
        : `${(x * 100).toFixed(1)}%`;
    out.push(
      `${f.ok ? "ok " : "OUT"} ${f.incident}`,
      `    ${f.measure}: ${show(f.inside)} inside (over ${f.insideOver}), ${
        show(f.outside)
      } outside; promised ${f.promised}`,
    );
  }
  out.push(
    "",
    !report.ok
      ? "FAIL"
      : report.kpisJudged
      ? "PASS: no violations, every KPI in range"
      : "PASS: no violations (KPI targets are the Belgian world's: shown for reference, not judged)",
  );
  await write(out.join("\n") + "\n");
  return report.ok ? 0 : 1;
}

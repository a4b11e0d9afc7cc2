/**
 * The live snapshot in Prometheus text exposition format (version 0.0.4):
 * every family with HELP and TYPE, labels bounded by the catalogue
 * (channels, services, device types, regions, event types, partitions,
 * broker error types, rejection kinds).
 *
 * @module
 */
import type { HistogramData, PartitionFigures } from "../protocol.ts";
import type { LiveSnapshot } from "./state.ts";

/** The exposition format's content type. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
type Sample = [Labels, number];

/** Builds the text of one scrape. */
class Exposition {
  readonly #lines: string[] = [];

  /** One family with its samples (a family without samples is still described). */
  #family(
    name: string,
    type: "counter" | "gauge",
    help: string,
    samples: Sample[],
  ): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      this.#lines.push(`${name}${labelText(labels)} ${number(value)}`);
    }
  }

  /** A counter family, named `tvstream_<name>`. */
  counter(name: string, help: string, samples: Sample[]): void {
    this.#family(`tvstream_${name}`, "counter", help, samples);
  }

  /** A gauge family, named `tvstream_<name>`. */
  gauge(name: string, help: string, samples: Sample[]): void {
    this.#family(`tvstream_${name}`, "gauge", help, samples);
  }

  /** One histogram family (empty buckets when nothing was observed yet). */
  histogram(name: string, help: string, data: HistogramData | undefined): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    if (!data) return;
    let cumulative = 0;
    data.bounds.forEach((bound, i) => {
      cumulative += data.counts[i]!;
      this.#lines.push(`${name}_bucket{le="${bound}"} ${cumulative}`);
    });
    this.#lines.push(`${name}_bucket{le="+Inf"} ${data.count}`);
    this.#lines.push(`${name}_sum ${number(data.sum)}`);
    this.#lines.push(`${name}_count ${data.count}`);
  }

  /** The exposition text. */
  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${
      v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    }"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

function number(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? "+Inf" : "NaN";
}

function each(map: Record<string, number>, label: string): Sample[] {
  return Object.entries(map).map(([k, v]) => [{ [label]: k }, v]);
}

/** One unlabelled sample, or none while the value is unknown. */
function one(value: number | null | undefined): Sample[] {
  return typeof value === "number" ? [[{}, value]] : [];
}

/** The Prometheus text for one snapshot. */
export function renderMetrics(s: LiveSnapshot): string {
  const x = new Exposition();
  pipelineMetrics(x, s);
  audienceMetrics(x, s);
  return x.text();
}

function pipelineMetrics(x: Exposition, s: LiveSnapshot): void {
  const p = s.pipeline;
  const partitions = (pick: (f: PartitionFigures) => number): Sample[] =>
    Object.entries(p.partitions).map(([k, v]) => [{ partition: k }, pick(v)]);
  x.counter("events_generated_total", "Events generated.", one(p.generated));
  x.counter(
    "events_produced_total",
    "Events acknowledged by the transport.",
    one(p.produced),
  );
  x.counter(
    "events_consumed_total",
    "Records read by the consumer.",
    one(p.consumed),
  );
  x.counter(
    "events_by_type_total",
    "Events by type: landed, or generated where no consumer runs.",
    each(s.totalsByType, "type"),
  );
  x.counter("rows_written_total", "Rows written to Parquet.", one(p.rows));
  x.counter("files_written_total", "Parquet files written.", one(p.files));
  x.counter("bytes_written_total", "Parquet bytes written.", one(p.bytes));
  x.counter(
    "records_rejected_total",
    "Records rejected, by reason.",
    each(p.rejectedBy, "reason"),
  );
  x.counter(
    "duplicates_dropped_total",
    "Records dropped as already written.",
    one(p.duplicates),
  );
  x.counter(
    "broker_retries_total",
    "Kafka calls retried, by broker error type.",
    each(p.retries, "error"),
  );
  x.gauge(
    "consumer_lag_records",
    "Records behind the newest, per partition.",
    partitions((f) => f.lag),
  );
  x.gauge(
    "checkpoint_offset",
    "Next offset to read, as checkpointed, per partition.",
    partitions((f) => f.offset),
  );
  x.gauge(
    "partitions_owned",
    "Partitions this consumer owns.",
    one(Object.keys(p.partitions).length),
  );
  x.gauge(
    "watermark_seconds",
    "Newest event time landed, Unix seconds.",
    one(p.watermark === null ? null : p.watermark / 1000),
  );
  x.gauge(
    "checkpoint_age_seconds",
    "Seconds since the last checkpoint.",
    one(p.checkpointAgeSec),
  );
  x.gauge(
    "open_files",
    "Parquet files being built (buffered, not yet written).",
    one(p.openFiles),
  );
  x.gauge(
    "resident_memory_bytes",
    "Resident set size of the process.",
    one(s.memory.rss),
  );
  x.gauge(
    "heap_used_bytes",
    "V8 heap in use, per thread.",
    each(s.memory.heapUsed, "thread"),
  );
  x.histogram(
    "tvstream_flush_duration_seconds",
    "Time to encode, land and checkpoint one flush.",
    s.histograms.flushSeconds,
  );
  x.histogram(
    "tvstream_produce_ack_seconds",
    "Time from sending a batch to its acknowledgement.",
    s.histograms.ackSeconds,
  );
}

function audienceMetrics(x: Exposition, s: LiveSnapshot): void {
  const a = s.audience;
  const q = s.quality;
  x.gauge(
    "viewers",
    "Devices tuned to each linear channel now.",
    each(a?.viewers ?? {}, "channel"),
  );
  x.gauge(
    "plays_by_service",
    "Open plays (tunes and VoD) by service.",
    each(a?.byService ?? {}, "service"),
  );
  x.gauge(
    "plays_by_device",
    "Open plays by device type.",
    each(a?.byDevice ?? {}, "device"),
  );
  x.gauge(
    "plays_by_region",
    "Open plays by region.",
    each(a?.byRegion ?? {}, "region"),
  );
  x.gauge(
    "linear_ad_seconds_per_hour",
    "Linear ad time per channel over the last hour of event time, seconds.",
    Object.entries(a?.adMinutesPerHour ?? {}).map((
      [channel, minutes],
    ): Sample => [{ channel }, minutes * 60]),
  );
  x.gauge(
    "rebuffering_ratio",
    "Stalled share of VoD play time, last 5 min of event time.",
    one(q?.rebufferingRatio.value),
  );
  x.gauge(
    "video_start_failure_ratio",
    "VoD attempts failing before the first frame, last 5 min.",
    one(q?.videoStartFailures.value),
  );
  x.gauge(
    "exits_before_video_start_ratio",
    "VoD attempts abandoned before the first frame, last 5 min.",
    one(q?.exitsBeforeVideoStart.value),
  );
  x.gauge(
    "startup_time_p50_seconds",
    "Median VoD start-up time, last 5 min.",
    one(seconds(q?.startupP50Ms.value)),
  );
  x.gauge(
    "startup_time_p90_seconds",
    "90th percentile of VoD start-up time, last 5 min.",
    one(seconds(q?.startupP90Ms.value)),
  );
}

function seconds(ms: number | null | undefined): number | null {
  return typeof ms === "number" ? ms / 1000 : null;
}

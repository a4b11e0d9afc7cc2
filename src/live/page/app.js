// The live dashboard: one snapshot a second over Server-Sent Events,
// drawn with plain DOM and uPlot. No build step, no request beyond this
// origin.
"use strict";

const HISTORY = 600;
const TYPES_SHOWN = 8;
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const fmt1 = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

const history = {
  t: [],
  generated: [],
  produced: [],
  consumed: [],
  byType: [],
};
let paused = false;
let last = null;
const charts = { throughput: null, types: null, typeNames: "" };

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") node.textContent = v;
    else if (k === "style") Object.assign(node.style, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name)
    .trim();
}

function pushPoint(p) {
  history.t.push(p.t / 1000);
  history.generated.push(p.generated);
  history.produced.push(p.produced);
  history.consumed.push(p.consumed);
  history.byType.push(p.byType);
  if (history.t.length > HISTORY) {
    for (const k of Object.keys(history)) history[k].shift();
  }
}

function cards(s) {
  const p = s.pipeline;
  const r = s.rates;
  const items = [
    ["generated/s", fmt.format(r.generated)],
    ["produced/s", fmt.format(r.produced)],
    ["consumed/s", fmt.format(r.consumed)],
    ["generated", fmt.format(p.generated)],
    ["consumed", fmt.format(p.consumed)],
    ["rows landed", fmt.format(p.rows)],
    ["files", fmt.format(p.files)],
    ["lag", fmt.format(p.lag)],
    ["rejected", fmt.format(p.rejected)],
    ["duplicates dropped", fmt.format(p.duplicates)],
    [
      "checkpoint age",
      p.checkpointAgeSec === null
        ? "—"
        : fmt1.format(p.checkpointAgeSec) + " s",
    ],
    [
      "retries",
      fmt.format(Object.values(p.retries).reduce((a, b) => a + b, 0)),
    ],
  ];
  $("pipeline-cards").replaceChildren(
    ...items.map(([k, v]) =>
      el("div", {}, [el("dt", { text: k }), el("dd", { text: v })])
    ),
  );
}

function rows(tbody, entries) {
  tbody.replaceChildren(
    ...entries.map((cells) =>
      el(
        "tr",
        {},
        cells.map((c, i) =>
          el(i ? "td" : "th", i ? { text: c } : { text: c, scope: "row" })
        ),
      )
    ),
  );
}

function tables(s) {
  const p = s.pipeline;
  const parts = Object.entries(p.partitions).sort((a, b) =>
    Number(a[0]) - Number(b[0])
  );
  rows(
    $("partitions").tBodies[0],
    parts.map(([k, v]) => [k, fmt.format(v.lag), fmt.format(v.offset)]),
  );
  const days = Object.entries(p.landed).sort((a, b) => (a[0] < b[0] ? 1 : -1))
    .slice(0, 14);
  rows(
    $("landed").tBodies[0],
    days.map(([d, v]) => [d, fmt.format(v.rows), fmt.format(v.files)]),
  );
  const problems = [
    ...Object.entries(p.rejectedBy).map((
      [k, v],
    ) => ["rejected: " + k, fmt.format(v)]),
    ...Object.entries(p.retries).map((
      [k, v],
    ) => ["retry: " + k, fmt.format(v)]),
  ];
  if (p.lost) problems.push(["lost (skipped)", fmt.format(p.lost)]);
  rows($("problems").tBodies[0], problems.length ? problems : [["none", "0"]]);
}

function bars(list, entries, unit = "") {
  const max = Math.max(1, ...entries.map(([, v]) => v));
  list.replaceChildren(
    ...entries.map(([name, v]) =>
      el("li", { "data-name": name, "data-value": String(v) }, [
        el("span", { class: "name", text: name, title: name }),
        el("span", { class: "track", "aria-hidden": "true" }, [
          el("span", {
            class: "fill",
            style: {
              width: (100 * v / max).toFixed(1) + "%",
              display: "block",
            },
          }),
        ]),
        el("span", { class: "value", text: fmt1.format(v) + unit }),
      ])
    ),
  );
}

function sorted(map) {
  return Object.entries(map).sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
  );
}

function audience(s) {
  const a = s.audience;
  if (!a) {
    $("audience-asof").textContent = "No events yet.";
    return;
  }
  $("audience-asof").textContent = `${
    fmt.format(a.viewersTotal)
  } devices on linear channels, as of ${
    new Date(a.asOf).toISOString().slice(0, 19)
  }Z event time`;
  bars($("top-channels"), a.topChannels.map((c) => [c.channel, c.viewers]));
  bars($("by-service"), sorted(a.byService));
  bars($("by-device"), sorted(a.byDevice));
  bars($("by-region"), sorted(a.byRegion));
  bars($("ad-minutes"), sorted(a.adMinutesPerHour).slice(0, 12), " min");
}

const GAUGES = [
  ["rebufferingRatio", "Rebuffering ratio", (v) => fmt1.format(v * 100) + " %"],
  [
    "videoStartFailures",
    "Video start failures",
    (v) => fmt1.format(v * 100) + " %",
  ],
  [
    "exitsBeforeVideoStart",
    "Exits before video start",
    (v) => fmt1.format(v * 100) + " %",
  ],
  ["startupP50Ms", "Start-up time p50", (v) => fmt1.format(v / 1000) + " s"],
  ["startupP90Ms", "Start-up time p90", (v) => fmt1.format(v / 1000) + " s"],
];

function quality(s) {
  const q = s.quality;
  $("quality").replaceChildren(
    ...GAUGES.map(([key, label, show]) => {
      const f = q ? q[key] : { value: null, band: [0, 1] };
      const [lo, hi] = f.band;
      const top = Math.max(hi * 2, f.value ?? 0) || 1;
      const pct = (v) => (100 * Math.min(v, top) / top).toFixed(1) + "%";
      const scale = el("div", { class: "scale", "aria-hidden": "true" }, [
        el("span", {
          class: "band",
          style: { left: pct(lo), width: `calc(${pct(hi)} - ${pct(lo)})` },
        }),
      ]);
      if (f.value !== null) {
        scale.append(
          el("span", { class: "marker", style: { left: pct(f.value) } }),
        );
      }
      const inBand = f.value !== null && f.value >= lo && f.value <= hi;
      return el("div", { class: "gauge", "data-key": key }, [
        el("div", { class: "label", text: label }),
        el("div", {
          class: "value",
          text: f.value === null
            ? "—"
            : show(f.value) + (inBand ? "" : " (outside band)"),
        }),
        scale,
        el("div", { class: "range", text: `target ${show(lo)} – ${show(hi)}` }),
      ]);
    }),
  );
}

function chartSize(id) {
  return { width: Math.max(300, $(id).clientWidth), height: 220 };
}

function palette(i) {
  return `hsl(${(i * 47) % 360} 65% 50%)`;
}

/** A uPlot line chart in `id`, one line per label, coloured from the palette. */
function lineChart(id, labels, colourStep, data) {
  const axis = { stroke: cssVar("--fg"), grid: { stroke: cssVar("--line") } };
  return new uPlot(
    {
      ...chartSize(id),
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: palette(i * colourStep),
          width: 1.5,
          points: { show: false },
        })),
      ],
      axes: [axis, { ...axis, label: "events/s" }],
    },
    data,
    $(id),
  );
}

function drawThroughput() {
  const data = [
    history.t,
    history.generated,
    history.produced,
    history.consumed,
  ];
  if (!charts.throughput) {
    charts.throughput = lineChart(
      "chart-throughput",
      [
        "generated",
        "produced",
        "consumed",
      ],
      2,
      data,
    );
  } else charts.throughput.setData(data);
}

function drawTypes() {
  const totals = {};
  for (const p of history.byType) {
    for (const [k, v] of Object.entries(p)) totals[k] = (totals[k] ?? 0) + v;
  }
  const names = Object.keys(totals).sort((a, b) => totals[b] - totals[a]).slice(
    0,
    TYPES_SHOWN,
  );
  const shown = new Set(names);
  const series = [...names, "other"];
  const data = [
    history.t,
    ...names.map((n) => history.byType.map((p) => p[n] ?? 0)),
    history.byType.map((p) =>
      Object.entries(p).reduce((s, [k, v]) => s + (shown.has(k) ? 0 : v), 0)
    ),
  ];
  const key = series.join(",");
  if (charts.types && charts.typeNames !== key) {
    charts.types.destroy();
    charts.types = null;
  }
  if (!charts.types) {
    charts.typeNames = key;
    charts.types = lineChart("chart-types", series, 1, data);
  } else charts.types.setData(data);
}

function render(s) {
  last = s;
  $("command").textContent = `${s.command} · ${s.transport} · topic ${s.topic}`;
  const sim = s.pipeline.simTime ?? s.pipeline.watermark;
  $("status").textContent =
    `${s.done ? "finished" : "running"} for ${
      fmt.format((s.at - s.startedAt) / 1000)
    } s` +
    (sim ? ` · event time ${new Date(sim).toISOString().slice(0, 19)}Z` : "") +
    ` · RSS ${fmt.format(s.memory.rss / 1048576)} MB · snapshot ${s.seq}`;
  document.body.dataset.seq = String(s.seq);
  cards(s);
  tables(s);
  audience(s);
  quality(s);
  drawThroughput();
  drawTypes();
  $("warnings").replaceChildren(
    ...(s.warnings.length ? s.warnings : ["none"]).map((w) =>
      el("li", { text: w })
    ),
  );
  $("incidents").replaceChildren(
    ...(s.incidents.length ? s.incidents : [{ spec: "none yet" }]).map((i) =>
      el("li", {
        text: i.fromMs === undefined
          ? i.spec
          : `${i.spec} (${
            i.toMs <= (s.pipeline.simTime ?? s.at) ? "over" : "on air"
          })`,
      })
    ),
  );
}

/** Starts the incident written in the form, and says what the server answered. */
async function startIncident() {
  const result = $("incident-result");
  result.textContent = "starting…";
  try {
    const response = await fetch("/api/incidents", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ incident: $("incident-spec").value }),
    });
    const body = await response.json();
    result.textContent = response.ok
      ? `accepted: ${body.accepted}`
      : `not started: ${body.error}`;
  } catch (e) {
    result.textContent = `not started: ${e.message}`;
  }
}

function onSnapshot(s) {
  if (last && s.seq <= last.seq) return;
  pushPoint(s.rates);
  if (!paused) render(s);
  else last = s;
}

async function start() {
  $("incident-start").addEventListener("click", startIncident);
  const response = await fetch("/api/stats");
  const first = await response.json();
  for (const p of first.history) pushPoint(p);
  render(first);
  const source = new EventSource("/api/events");
  source.onmessage = (e) => onSnapshot(JSON.parse(e.data));
  source.onerror = () => {
    if (last?.done) source.close();
    $("status").textContent = last?.done
      ? "finished (the run has ended)"
      : "reconnecting…";
  };
  $("pause").addEventListener("click", () => {
    paused = !paused;
    $("pause").setAttribute("aria-pressed", String(paused));
    $("pause").textContent = paused ? "Resume updates" : "Pause updates";
    if (!paused && last) render(last);
  });
  // Chart colours come from the CSS variables: redraw when the scheme changes.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    charts.throughput?.destroy();
    charts.types?.destroy();
    charts.throughput = charts.types = null;
    if (last) render(last);
  });
  addEventListener("resize", () => {
    for (
      const [id, c] of [["chart-throughput", charts.throughput], [
        "chart-types",
        charts.types,
      ]]
    ) {
      c?.setSize(chartSize(id));
    }
  });
}

start().catch((e) => {
  $("status").textContent = "cannot load the figures: " + e.message;
});

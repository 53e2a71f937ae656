// The worker's dashboard: connectors and tasks with their state, worker and trace; records
// in/out and errors per second (plotted over the last minutes), dead letters and lag; pause,
// resume and restart; the cluster's workers. It reads the seed's API and /metrics of the worker
// that serves it, same-origin, so the worker's authentication and cross-site rules apply.
"use strict";

const params = new URLSearchParams(location.search);
const INTERVAL_MS = Math.max(200, Number(params.get("interval")) || 2000);
const HISTORY = 180;
const history = [];
let previous = null;

async function api(method, path) {
  const response = await fetch(path, { method, credentials: "same-origin", headers: { Accept: "application/json" } });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch (_) { json = text; }
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${(json && json.message) || text}`);
  }
  return json && typeof json === "object" && "status" in json && "body" in json ? json.body : json;
}

// Each connector's counters and gauges, summed over its tasks, from Prometheus text.
function totals(text) {
  // Keyed by connector name: no prototype, so no name (`__proto__`…) can collide with one.
  const out = Object.create(null);
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    const series = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    const brace = series.indexOf("{");
    const name = (brace < 0 ? series : series.slice(0, brace)).replace(/^rocketmq_connect_/, "");
    const match = /connector="((?:[^"\\]|\\.)*)"/.exec(series);
    if (!match || Number.isNaN(value)) continue;
    const connector = match[1].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    const t = (out[connector] ||= { in: 0, out: 0, errors: 0, dlq: 0, lag: 0 });
    if (name === "source_record_poll_total" || name === "sink_record_read_total") t.in += value;
    else if (name === "source_record_write_total" || name === "sink_record_send_total") t.out += value;
    else if (name === "record_errors_total") t.errors += value;
    else if (name === "deadletterqueue_produce_requests_total") t.dlq += value;
    else if (name === "sink_record_lag_messages") t.lag += value;
  }
  return out;
}

function rates(now, current) {
  const out = Object.create(null);
  for (const [name, t] of Object.entries(current)) {
    const before = previous && previous.totals[name];
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    out[name] = before && seconds > 0
      ? { in: Math.max(0, (t.in - before.in) / seconds), out: Math.max(0, (t.out - before.out) / seconds), errors: Math.max(0, (t.errors - before.errors) / seconds) }
      : null;
  }
  return out;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function button(label, action, name) {
  const b = document.createElement("button");
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.connector = name;
  b.addEventListener("click", () => act(action, name));
  return b;
}

async function act(action, name) {
  const path = `/connectors/${encodeURIComponent(name)}`;
  try {
    if (action === "pause") await api("PUT", `${path}/pause`);
    else if (action === "resume") await api("PUT", `${path}/resume`);
    else if (action === "restart") await api("POST", `${path}/restart?includeTasks=true`);
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = e.message;
  }
  refresh();
}

const fixed = (v) => (v == null ? "–" : v.toFixed(1));

function renderConnectors(details, current, perSecond) {
  const body = document.querySelector("#connectors tbody");
  body.replaceChildren();
  const names = Object.keys(details).sort();
  document.getElementById("empty").hidden = names.length > 0;
  for (const name of names) {
    const status = details[name].status;
    const tasks = status.tasks || [];
    const running = tasks.filter((t) => t.state === "RUNNING").length;
    const t = current[name] || { dlq: 0, lag: 0 };
    const r = perSecond[name];
    const row = document.createElement("tr");
    row.dataset.connector = name;
    const state = status.connector.state;
    row.append(
      cell(name, "name"), cell(String(status.type).toLowerCase()), cell(state, `state state-${state}`),
      cell(`${running}/${tasks.length}`, "tasks num"),
      cell(fixed(r && r.in), "in num"), cell(fixed(r && r.out), "out num"), cell(fixed(r && r.errors), "errors num"),
      cell(String(t.dlq), "dlq num"), cell(String(t.lag), "lag num"), cell(status.connector.workerId || ""),
    );
    const actions = document.createElement("td");
    actions.append(
      state === "PAUSED" || state === "STOPPED" ? button("Resume", "resume", name) : button("Pause", "pause", name),
      button("Restart", "restart", name),
    );
    row.append(actions);
    body.append(row);
    const detail = document.createElement("tr");
    detail.className = "tasks";
    const td = document.createElement("td");
    td.colSpan = 11;
    for (const task of tasks) {
      const line = document.createElement("div");
      line.textContent = `task ${task.id}: ${task.state} on ${task.workerId || "?"} `;
      line.className = `task state-${task.state}`;
      if (task.trace) {
        const d = document.createElement("details");
        const s = document.createElement("summary");
        s.textContent = task.trace.split("\n")[0];
        const pre = document.createElement("pre");
        pre.textContent = task.trace;
        d.append(s, pre);
        line.append(d);
      }
      td.append(line);
    }
    if (status.connector.trace) {
      const pre = document.createElement("pre");
      pre.textContent = status.connector.trace;
      td.append(pre);
    }
    detail.append(td);
    body.append(detail);
  }
}

function renderCluster(members, details) {
  const counts = Object.assign(Object.create(null), Object.fromEntries(members.map((m) => [m, { connectors: 0, tasks: 0 }])));
  for (const d of Object.values(details)) {
    const w = d.status.connector.workerId;
    if (counts[w]) counts[w].connectors += 1;
    for (const t of d.status.tasks || []) if (counts[t.workerId]) counts[t.workerId].tasks += 1;
  }
  const body = document.querySelector("#cluster tbody");
  body.replaceChildren(...members.map((m) => {
    const row = document.createElement("tr");
    row.append(cell(m), cell(String(counts[m].connectors), "num"), cell(String(counts[m].tasks), "num"));
    return row;
  }));
}

function plot() {
  const canvas = document.getElementById("plot");
  const g = canvas.getContext("2d");
  const { width, height } = canvas;
  g.clearRect(0, 0, width, height);
  const top = Math.max(1, ...history.flatMap((h) => [h.in, h.out, h.errors]));
  g.fillStyle = "#5b6475";
  g.font = "12px system-ui, sans-serif";
  g.fillText(`${top.toFixed(1)}/s`, 6, 14);
  g.strokeStyle = "#e6e9ef";
  g.beginPath(); g.moveTo(0, height - 0.5); g.lineTo(width, height - 0.5); g.stroke();
  for (const [key, color] of [["in", "#2364d2"], ["out", "#1f9d55"], ["errors", "#d23c3c"]]) {
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    history.forEach((h, i) => {
      const x = width - (history.length - 1 - i) * (width / (HISTORY - 1));
      const y = height - 4 - (h[key] / top) * (height - 24);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }
  canvas.dataset.samples = String(history.length);
  const last = history[history.length - 1];
  canvas.dataset.lastIn = last ? last.in.toFixed(3) : "0";
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const [details, metrics, members] = await Promise.all([
      api("GET", "/connectors/list"),
      fetch("/metrics", { credentials: "same-origin" }).then((r) => r.text()),
      api("GET", "/getClusterInfo"),
    ]);
    const now = Date.now();
    const current = totals(metrics);
    const perSecond = rates(now, current);
    if (previous) {
      const sum = { in: 0, out: 0, errors: 0 };
      for (const r of Object.values(perSecond)) if (r) { sum.in += r.in; sum.out += r.out; sum.errors += r.errors; }
      history.push(sum);
      if (history.length > HISTORY) history.shift();
    }
    previous = { at: now, totals: current };
    renderConnectors(details, current, perSecond);
    renderCluster(members, details);
    plot();
    const count = Object.keys(details).length;
    document.getElementById("summary").textContent =
      `${count} connector${count === 1 ? "" : "s"} · ${members.length} worker${members.length === 1 ? "" : "s"} · every ${INTERVAL_MS / 1000} s`;
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = e.message;
  } finally {
    refreshing = false;
  }
}

refresh();
setInterval(refresh, INTERVAL_MS);

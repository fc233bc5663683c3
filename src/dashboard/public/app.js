// The dashboard's page: renders each snapshot of the live feed (/events, server-sent events).
// Plain DOM and SVG, no dependencies; every text goes through textContent, never innerHTML.
"use strict";

/** h("td", { class: "x" }, "text", child…) */
function h(tag, attrs, ...children) {
  const el = document.createElementNS(tag === "svg" || tag === "polyline" || tag === "line" ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null) el.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  return el;
}

const ms = (v) => (v === null || v === undefined ? "–" : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const clock = (t) => new Date(t).toISOString().slice(11, 23);
const statusClass = (s) => (s === 0 ? "saborted" : `s${Math.floor(s / 100)}xx`);

function chart(title, points, testid, cls) {
  const w = 300, hgt = 60;
  const max = Math.max(1, ...points.map((p) => p ?? 0));
  const step = points.length > 1 ? w / (points.length - 1) : w;
  const coords = points.map((p, i) => `${(i * step).toFixed(1)},${(hgt - ((p ?? 0) / max) * (hgt - 4) - 2).toFixed(1)}`).join(" ");
  return h("div", { class: "chart", "data-testid": testid },
    h("div", { class: "title" }, `${title} · max ${Number.isInteger(max) ? max : max.toFixed(1)}`),
    h("svg", { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}` }, h("polyline", { points: coords, class: cls })));
}

function metric(label, value, testid) {
  return h("div", { class: "metric" }, h("b", { "data-testid": testid }, value), h("span", {}, label));
}

function renderFunction(app, f) {
  const key = `${app.name}/${f.name}`;
  const series = f.series;
  const cold = f.coldStarts.recent.slice(-5).map((c) => `${c.container} ${ms(c.ms)}`).join(", ");
  return h("div", { class: "function", "data-function": key },
    h("h3", {}, f.name, " ", h("span", { class: "muted" }, f.backingOff ? "backing off (keeps failing)" : "")),
    h("div", { class: "metrics" },
      metric("starting", f.starting, "starting"),
      metric("idle", f.idle, "idle"),
      metric("busy", f.busy, "busy"),
      metric("draining", f.draining, "draining"),
      metric("in-flight", f.inFlight, "in-flight"),
      metric("queued", f.queued, "queued"),
      metric("req/s (10 s)", f.rps.toFixed(1), "rps"),
      metric("p50 (1 min)", ms(f.p50), "p50"),
      metric("p99 (1 min)", ms(f.p99), "p99"),
      metric("requests", f.requests, "requests"),
      metric("2xx", f.classes["2xx"], "c2xx"),
      metric("3xx", f.classes["3xx"], "c3xx"),
      metric("4xx", f.classes["4xx"], "c4xx"),
      metric("5xx", f.classes["5xx"], "c5xx"),
      metric("aborted", f.classes.aborted, "aborted"),
      metric(`cold starts${cold === "" ? "" : `: ${cold}`}`, f.coldStarts.count, "cold-starts")),
    h("div", { class: "charts" },
      chart("requests/s, last 5 min", series.map((s) => s.count), "rate-chart"),
      chart("p50 latency (ms), last 5 min", series.map((s) => s.p50), "latency-chart"),
      chart("errors/s (5xx), last 5 min", series.map((s) => s.errors), "error-chart", "errors")),
    h("pre", { class: "logs", "data-testid": "logs" },
      f.logs.length === 0 ? h("span", { class: "t" }, "no output yet") : f.logs.slice(-50).map((l) => [h("span", { class: "t" }, clock(l.time)), " ", h("span", { class: l.stream === "stderr" ? "err" : "" }, l.line), "\n"])));
}

function renderApp(app) {
  return h("article", { class: "app", "data-app": app.name },
    h("h2", {}, app.name, " ", h("span", { class: "muted", "data-testid": "version" }, app.version)),
    h("table", { class: "endpoints" },
      h("thead", {}, h("tr", {}, h("th", {}, "endpoint"), h("th", {}, "kind"), h("th", {}, "URL"), h("th", {}, "docs"))),
      h("tbody", {}, app.endpoints.map((e) => h("tr", {},
        h("td", {}, e.name), h("td", {}, e.kind),
        h("td", {}, h("a", { href: e.url, "data-testid": "endpoint-url" }, e.url)),
        h("td", {}, e.docs === null ? "" : h("a", { href: e.docs, "data-testid": "docs-url" }, "/docs")))))),
    app.functions.map((f) => renderFunction(app, f)));
}

function render(s) {
  document.getElementById("mode").textContent = s.mode === "server" ? "wharf server" : "wharf serve";
  document.getElementById("standby").textContent = `${s.standby} standby runtime${s.standby === 1 ? "" : "s"}`;
  document.getElementById("logout").hidden = s.mode !== "server";
  const apps = document.getElementById("apps");
  apps.replaceChildren(...(s.apps.length === 0 ? [h("p", { class: "muted" }, "No app is running.")] : s.apps.map(renderApp)));
  // The newest log lines are at the bottom: keep them in view.
  for (const pre of apps.querySelectorAll("pre.logs")) pre.scrollTop = pre.scrollHeight;
  document.querySelector("#recent tbody").replaceChildren(...s.recent.slice(0, 50).map((r) => h("tr", {},
    h("td", {}, clock(r.time)), h("td", {}, r.method), h("td", { class: "mono" }, `${r.host}${r.path}`),
    h("td", { class: statusClass(r.status) }, r.status === 0 ? "—" : r.status), h("td", {}, ms(r.durationMs)),
    h("td", {}, r.container ?? "–"), h("td", { class: "mono" }, r.requestId))));
  const history = document.getElementById("history-section");
  history.hidden = s.mode !== "server";
  document.querySelector("#history tbody").replaceChildren(...s.history.map((v) => h("tr", {},
    h("td", {}, v.app), h("td", {}, `v${v.number}`), h("td", {}, new Date(v.created).toLocaleString()), h("td", {}, v.status), h("td", {}, v.note))));
}

const live = document.getElementById("live");
const feed = new EventSource("/events");
feed.addEventListener("snapshot", (e) => {
  live.dataset.state = "live";
  live.textContent = "live";
  render(JSON.parse(e.data));
});
feed.addEventListener("error", () => {
  live.dataset.state = "down";
  live.textContent = "reconnecting…";
});

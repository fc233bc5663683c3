/**
 * `npm run bench`, one run:
 * 1. scale from zero: first-response time of a function at zero (bench/apps/cold.ts), next to
 *    `node -e 0`'s start time, as ratios;
 * 2. a burst of 200 concurrent requests to a function at zero: all served?, latency, containers;
 * 3. idle memory: RSS of every runtime agent vs a bare Node http server (read before the burst,
 *    while every container of that app is idle);
 * 4. hello-world throughput and latency on loopback for a bare Node server (the ceiling for any
 *    Node path), nginx → Node with upstream keep-alive (what a user would put in front instead,
 *    when nginx is installed) and `wharf serve` (fastapiEndpoint with default options, with one
 *    container taking every input, with two containers, each of those two with `--handoff`;
 *    asgiApp), as ratios of the bare server
 *    and of nginx (the targets of docs/status.md);
 * then a ✓/✗ summary against the targets. A program, not a test: it asserts nothing about timings.
 *
 * `BENCH_ROWS=bare,nginx,proxy npm run bench` (or the keys as arguments: `node bench/run.mjs
 * bare nginx proxy`) runs only those parts; `ROWS` below lists the keys. The bare and nginx rows
 * are the baselines every ratio needs, so any throughput row runs them too.
 *
 * Everything it starts runs in its own process group and is stopped in `finally` blocks; a
 * watchdog bounds the whole run.
 */
import { cpus, loadavg, platform, release } from "node:os";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { agentsUnder, containerSocket } from "./lib/agents.mjs";
import { burst } from "./lib/burst.mjs";
import { coldStarts } from "./lib/cold.mjs";
import { atZero, statusReader, waitForStatus } from "./lib/http.mjs";
import { runLoad } from "./lib/load.mjs";
import { idleMemory } from "./lib/memory.mjs";
import { nodeStartTimes } from "./lib/node-start.mjs";
import { probe } from "./lib/probe.mjs";
import { countDescendants, killAllSync, stopAll } from "./lib/processes.mjs";
import { burstSection, coldSection, memorySection, targetsSection } from "./lib/report.mjs";
import { ratio, summarize } from "./lib/stats.mjs";
import { fmt, formatTable } from "./lib/table.mjs";
import { findNginx, startBareNode, startNginx, startWharf } from "./lib/targets.mjs";
import { startWharfApp } from "./lib/wharf-app.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOAD = { connections: 32, warmupS: 1, durationS: 5 };
const COLD = { file: "bench/apps/cold.ts", functions: ["cold0", "cold1", "cold2", "cold3", "cold4", "cold5"], samples: 30, budgetMs: 70_000 };
const NODE_RUNS = 30; // half before the cold-start app runs, half after
const BURST = { fn: "burst", count: 200, handlerMs: 20, maxContainers: 10 };
const MEMORY_REQUESTS = 20;
const WATCHDOG_MS = 240_000; // two more throughput rows (--handoff) than the 180 s it was sized for

/** What can be selected, in the order it runs. */
const ROWS = {
  cold: "scale from zero, idle memory, burst (one wharf serve of bench/apps/cold.ts)",
  bare: "node http (bare)",
  nginx: "nginx → node (keep-alive)",
  defaults: "wharf fastapiEndpoint (defaults)",
  one: "wharf fastapiEndpoint, 1 container (maxInputs 1000)",
  pair: "wharf fastapiEndpoint, 2 containers",
  proxy: "wharf proxy path: fastapiEndpoint, 1 container, maxInputs 100, no hand-off",
  "handoff-one": "wharf fastapiEndpoint, 1 container, --handoff",
  "handoff-pair": "wharf fastapiEndpoint, 2 containers, --handoff",
  asgi: "wharf asgiApp (fetch fn)",
  latency: "one request in flight (a sequential client): bare, nginx, the proxy path",
  runtime: "the runtime serving a fastapiEndpoint directly on its Unix socket vs bare node on one",
};
const selected = (() => {
  const asked = [...(process.env["BENCH_ROWS"] ?? "").split(","), ...process.argv.slice(2)].map((k) => k.trim()).filter((k) => k.length > 0);
  const unknown = asked.filter((k) => !(k in ROWS));
  if (unknown.length > 0) {
    console.error(`bench: unknown row ${unknown.join(", ")}; the rows are:\n${Object.entries(ROWS).map(([k, v]) => `  ${k.padEnd(13)} ${v}`).join("\n")}`);
    process.exit(2);
  }
  const keys = new Set(asked.length === 0 ? Object.keys(ROWS) : asked);
  if ([...keys].some((k) => k !== "cold" && k !== "runtime")) keys.add("bare").add("nginx");
  return keys;
})();
const wanted = (key) => selected.has(key);

process.on("exit", killAllSync);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    console.error(`bench: ${sig}, stopping everything it started`);
    void stopAll().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s, stopping everything it started`);
  void stopAll().finally(() => process.exit(1));
}, WATCHDOG_MS).unref();

const progress = (message) => process.stderr.write(`bench: ${message}\n`);
const autocannonVersion = createRequire(import.meta.url)("autocannon/package.json").version;
const cores = cpus();

const loadAverage = () => loadavg().map((n) => n.toFixed(2)).join(" ");
console.log(
  `machine: ${cores.length} × ${cores[0]?.model.trim() ?? "unknown cpu"}, Node ${process.version}, ${platform()} ${release()}; ` +
    `load average at start ${loadAverage()} (other processes on the machine share the cores)`,
);
if ((loadavg()[0] ?? 0) >= 1) {
  console.log("warning: the machine was busy before the run (1-min load average ≥ 1): other processes compete for the cores, so these figures are noisy; re-run on an idle machine");
}
console.log(
  `load: autocannon ${autocannonVersion} in a separate process, ${LOAD.connections} keep-alive connections, pipelining 1, ` +
    `GET /, ${LOAD.warmupS} s warm-up (discarded) then ${LOAD.durationS} s measured per target, one target at a time; ` +
    `client and servers share the ${cores.length} cores`,
);

/** One row per target: { name, result?, error?, skipped?, load? (1-min, after the row), notes: string[] }. */
const rows = [];

/** Probes then loads a running target; a failure becomes the row's error, not the run's. */
async function measure(name, target, notesFrom) {
  const row = { name, notes: [] };
  rows.push(row);
  try {
    await probe(target);
    progress(`${name}: ${LOAD.warmupS} s warm-up + ${LOAD.durationS} s load`);
    row.result = await runLoad({ url: `http://127.0.0.1:${target.port}/`, host: target.host, ...LOAD });
  } catch (err) {
    row.error = err instanceof Error ? err.message : String(err);
  }
  row.load = loadavg()[0];
  if (notesFrom !== undefined) row.notes.push(...notesFrom());
  return row;
}

/** Starts a target, measures it and stops it, whatever happens. */
async function withTarget(name, start, notesFrom) {
  progress(`${name}: starting`);
  let target;
  try {
    target = await start();
  } catch (err) {
    rows.push({ name, error: `did not start: ${err instanceof Error ? err.message : String(err)}`, notes: [] });
    return;
  }
  try {
    await measure(name, target, notesFrom && (() => notesFrom(target)));
  } finally {
    for (const proc of target.procs) await proc.stop();
  }
}

/** Containers after the load, their CPU time, and lines of wharf's output worth showing (warnings, errors, deaths). */
const wharfNotes = (options) => (target) => {
  const containers = agentsUnder(target.procs[0].pid).filter((a) => a.role === "container");
  return [
    `${countDescendants(target.procs[0].pid, "agent.js")} runtime agent process(es) under wharf after the load (containers and standby; ${options}); ` +
      `CPU time of each container since it started: ${containers.map((a) => `${(a.cpuTicks / 100).toFixed(2)} s`).join(", ") || "none"}`,
    ...target.procs[0]
      .tail(200)
      .split("\n")
      .filter((line) => /^(warning|error):|exited unexpectedly|could not replace/.test(line)),
  ];
};

/** Scale-from-zero, memory and burst results (section texts are built from these at the end). */
const coldResult = { node: [], timings: [], functions: COLD.functions };
const memoryResult = { requests: MEMORY_REQUESTS };
const burstResult = { ...BURST };

/** Phases 1–3 in one `wharf serve bench/apps/cold.ts`, stopped in `finally`. */
async function coldApp() {
  progress(`${COLD.file}: starting`);
  let app;
  try {
    app = await startWharfApp(ROOT, COLD.file, { lastFunction: "resident", env: { WHARF_TIMING: "1" } });
  } catch (err) {
    coldResult.error = memoryResult.error = burstResult.error = `wharf serve ${COLD.file} did not start: ${messageOf(err)}`;
    return;
  }
  const status = statusReader(app.port);
  try {
    let timingsFrom = app.timings.length;
    try {
      // The initial containers' lines (some printed after the address lines) are not samples.
      progress("cold start: waiting for every cold function at zero");
      await waitForStatus(status, (s) => COLD.functions.every((fn) => atZero(s.get(fn))), "every cold function scaled to zero", 20_000);
      timingsFrom = app.timings.length;
      progress(`cold start: ${COLD.samples} samples over ${COLD.functions.length} functions`);
      coldResult.cold = await coldStarts({ app, status, functions: COLD.functions, samples: COLD.samples, deadline: Date.now() + COLD.budgetMs, progress });
    } catch (err) {
      coldResult.error = messageOf(err);
    }
    coldResult.timings = app.timings.slice(timingsFrom);
    coldResult.load = loadAverage();

    try {
      progress("idle memory");
      memoryResult.memory = await idleMemory({ root: ROOT, app, host: app.hosts.get("resident"), requests: MEMORY_REQUESTS });
      memoryResult.load = loadAverage();
    } catch (err) {
      memoryResult.error = messageOf(err);
    }

    try {
      progress(`burst: waiting for ${BURST.fn} at zero, then ${BURST.count} requests at once`);
      await waitForStatus(status, (s) => atZero(s.get(BURST.fn)), `${BURST.fn} scaled to zero`, 15_000);
      const timingsFrom = app.timings.length;
      burstResult.burst = await burst({ port: app.port, host: app.hosts.get(BURST.fn), status, fn: BURST.fn, count: BURST.count });
      burstResult.timings = app.timings.slice(timingsFrom).filter((t) => t.fn === BURST.fn);
      burstResult.load = loadAverage();
    } catch (err) {
      burstResult.error = messageOf(err);
    }
  } finally {
    status.close();
    await app.proc.stop();
  }
}

async function nodeStarts(runs) {
  progress(`node -e 0: ${runs} runs`);
  try {
    coldResult.node.push(...(await nodeStartTimes(runs)));
  } catch (err) {
    coldResult.nodeError = messageOf(err);
  }
}

const PROXY_ROW = "wharf proxy path (1 container, maxInputs 100)";
/** The sequential-client rows (issue 8.3): { name, result?, error? }, latencies over bare node's. */
const latency = [];
const SEQUENTIAL = { ...LOAD, connections: 1 };

async function sequential(name, target) {
  const row = { name };
  latency.push(row);
  try {
    await probe(target);
    progress(`${name}: one connection, ${SEQUENTIAL.warmupS} s warm-up + ${SEQUENTIAL.durationS} s`);
    row.result = await runLoad({ url: `http://127.0.0.1:${target.port}/`, host: target.host, ...SEQUENTIAL });
  } catch (err) {
    row.error = messageOf(err);
  }
  row.load = loadavg()[0];
}

/** Bare node, nginx → node and the proxy path, each with one request in flight at a time. */
async function latencyRows(bare, nginx) {
  if (bare !== undefined) await sequential("node http (bare)", bare);
  if (bare !== undefined && nginx !== undefined) {
    let t;
    try {
      t = await startNginx(nginx, bare.port);
      await sequential("nginx → node (keep-alive)", t);
    } catch (err) {
      latency.push({ name: "nginx → node (keep-alive)", error: messageOf(err) });
    } finally {
      await t?.procs[0].stop();
    }
  }
  let w;
  try {
    w = await startWharf(ROOT, "bench/apps/hello-fastapi-proxy.ts");
    await sequential(PROXY_ROW, w);
  } catch (err) {
    latency.push({ name: PROXY_ROW, error: messageOf(err) });
  } finally {
    await w?.procs[0].stop();
  }
}

/** The runtime's own cost (issue 8.4): a container's Unix socket loaded directly, vs bare node on a Unix socket. */
const runtime = [];
async function runtimeRows() {
  const load = async (name, socketPath, host) => {
    const row = { name };
    runtime.push(row);
    try {
      progress(`${name}: ${LOAD.warmupS} s warm-up + ${LOAD.durationS} s load`);
      row.result = await runLoad({ url: "http://localhost/", socketPath, host, ...LOAD });
    } catch (err) {
      row.error = messageOf(err);
    }
    row.load = loadavg()[0];
  };
  let bare;
  try {
    bare = await startBareNode(ROOT, { socket: true });
    await load("node http (bare), Unix socket", bare.socketPath, undefined);
  } catch (err) {
    runtime.push({ name: "node http (bare), Unix socket", error: messageOf(err) });
  } finally {
    await bare?.procs[0].stop();
  }
  let w;
  try {
    w = await startWharf(ROOT, "bench/apps/hello-fastapi-proxy.ts");
    await probe(w);
    const socketPath = containerSocket(w.procs[0].pid);
    await load("wharf runtime, fastapiEndpoint, its Unix socket (no gateway)", socketPath, w.host);
  } catch (err) {
    runtime.push({ name: "wharf runtime, fastapiEndpoint, its Unix socket (no gateway)", error: messageOf(err) });
  } finally {
    await w?.procs[0].stop();
  }
}

const messageOf = (err) => (err instanceof Error ? err.message : String(err));

let exitCode = 0;
try {
  if (wanted("cold")) {
    await nodeStarts(NODE_RUNS / 2);
    await coldApp();
    await nodeStarts(NODE_RUNS / 2);
  }

  let bare;
  if (wanted("bare")) {
    progress("bare node: starting");
    try {
      bare = await startBareNode(ROOT);
    } catch (err) {
      rows.push({ name: "node http (bare)", error: `did not start: ${err instanceof Error ? err.message : String(err)}`, notes: [] });
    }
    if (bare !== undefined) await measure("node http (bare)", bare);
  }

  const nginx = findNginx();
  if (!wanted("nginx")) {
    // not selected
  } else if (nginx === undefined) {
    rows.push({ name: "nginx → node (keep-alive)", skipped: "nginx: not installed (apt-get install nginx-light to compare)", notes: [] });
  } else if (bare === undefined) {
    rows.push({ name: "nginx → node (keep-alive)", skipped: "nginx: skipped, the bare node server did not start", notes: [] });
  } else {
    await withTarget("nginx → node (keep-alive)", () => startNginx(nginx, bare.port), (t) => {
      const log = t.errorLog();
      return log === "" ? [] : [`nginx error.log: ${log}`];
    });
  }

  const defaults = "default options: concurrency.maxInputs 1, maxContainers 10";
  if (wanted("defaults")) await withTarget("wharf fastapiEndpoint (defaults)", () => startWharf(ROOT, "bench/apps/hello-fastapi.ts"), wharfNotes(defaults));
  if (wanted("one")) await withTarget("wharf fastapiEndpoint, 1 container", () => startWharf(ROOT, "bench/apps/hello-fastapi-one.ts"), wharfNotes("maxContainers 1, concurrency.maxInputs 1000"));
  if (wanted("pair")) await withTarget("wharf fastapiEndpoint, 2 containers", () => startWharf(ROOT, "bench/apps/hello-fastapi-pair.ts"), wharfNotes("minContainers 2, maxContainers 2, concurrency.maxInputs 100"));
  // The proxy path (issue 8): what serves HTTPS, protected endpoints, bodies, WebSockets and every
  // request on Kubernetes. No hand-off, so every request crosses the gateway.
  if (wanted("proxy")) await withTarget(PROXY_ROW, () => startWharf(ROOT, "bench/apps/hello-fastapi-proxy.ts"), wharfNotes("maxContainers 1, concurrency.maxInputs 100"));
  // --handoff (docs/handoff.md): each load connection is handed to a container after its first
  // request; the rest of its traffic never passes through the gateway.
  if (wanted("handoff-one")) await withTarget("wharf fastapiEndpoint, 1 container, --handoff", () => startWharf(ROOT, "bench/apps/hello-fastapi-one.ts", ["--handoff"]), wharfNotes("maxContainers 1, concurrency.maxInputs 1000, --handoff"));
  if (wanted("handoff-pair")) await withTarget("wharf fastapiEndpoint, 2 containers, --handoff", () => startWharf(ROOT, "bench/apps/hello-fastapi-pair.ts", ["--handoff"]), wharfNotes("minContainers 2, maxContainers 2, concurrency.maxInputs 100, --handoff"));
  if (wanted("asgi")) await withTarget("wharf asgiApp (fetch fn)", () => startWharf(ROOT, "bench/apps/hello-asgi.ts"), wharfNotes(defaults));
  if (wanted("latency")) await latencyRows(bare, nginx);
  if (wanted("runtime")) await runtimeRows();
} catch (err) {
  exitCode = 1;
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await stopAll();
}

const baseline = (name) => rows.find((r) => r.name === name && r.result !== undefined && r.result.ok > 0)?.result.rps;
const bareRps = baseline("node http (bare)");
const nginxRps = baseline("nginx → node (keep-alive)");

const table = [["target", "req/s", "p50 ms", "p99 ms", "÷ node", "÷ nginx", "2xx", "non-2xx", "errors", "load 1m", "status"]];
for (const row of rows) {
  const r = row.result;
  if (r === undefined) {
    table.push([row.name, "—", "—", "—", "—", "—", "—", "—", "—", "—", row.skipped ?? `FAILED: ${(row.error ?? "").split("\n")[0]}`]);
    continue;
  }
  const problems = [];
  if (r.non2xx + r.errors > 0) problems.push(`ERRORS: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts); req/s counts 2xx only`);
  if (r.reconnects > 0 || r.mean > r.meanBound * 1.05) {
    problems.push(`LATENCY SUSPECT: ${r.reconnects} reconnects; mean ${fmt.ms(r.mean)} ms, at most ${fmt.ms(r.meanBound)} ms possible`);
  }
  const status = problems.length === 0 ? "ok" : problems.join("; ");
  table.push([
    row.name,
    fmt.int(r.rps),
    fmt.ms(r.p50),
    fmt.ms(r.p99),
    fmt.ratio(bareRps === undefined ? undefined : r.rps / bareRps),
    fmt.ratio(nginxRps === undefined ? undefined : r.rps / nginxRps),
    fmt.int(r.ok),
    fmt.int(r.non2xx),
    fmt.int(r.errors),
    row.load === undefined ? "—" : row.load.toFixed(2),
    status,
  ]);
}
console.log("");
console.log("throughput — hello world, GET / under load");
console.log(formatTable(table));
console.log("req/s: 2xx responses per second; p50/p99: latency of 2xx responses; ÷: req/s as a fraction of that row's req/s; load 1m: the machine's 1-min load average after the row");

for (const row of rows) {
  if (row.skipped !== undefined) console.log(row.skipped);
  if (row.error !== undefined) {
    exitCode = 1;
    console.log(`${row.name}: ${row.error}`);
  }
  if (row.result !== undefined && row.result.non2xx > 0) console.log(`${row.name}: status codes ${JSON.stringify(row.result.statusCodes)}`);
  for (const note of row.notes) console.log(`${row.name}: ${note}`);
}

/** p50/p99 added over bare node's in the same table, and as a fraction of nginx's. */
if (latency.length > 0) {
  const bareSeq = latency.find((r) => r.name === "node http (bare)")?.result;
  const nginxSeq = latency.find((r) => r.name === "nginx → node (keep-alive)")?.result;
  const added = (r, p) => (r === undefined || bareSeq === undefined ? undefined : r[p] - bareSeq[p]);
  const t = [["target", "req/s", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms", "added p50 ÷ nginx's", "added p99 ÷ nginx's", "load 1m"]];
  for (const row of latency) {
    const r = row.result;
    if (r === undefined) {
      t.push([row.name, "—", "—", "—", "—", "—", "—", "—", `FAILED: ${(row.error ?? "").split("\n")[0]}`]);
      continue;
    }
    const a50 = added(r, "p50");
    const a99 = added(r, "p99");
    t.push([row.name, fmt.int(r.rps), fmt.ms(r.p50), fmt.ms(r.p99), a50 === undefined ? "—" : fmt.ms(a50), a99 === undefined ? "—" : fmt.ms(a99),
      fmt.ratio(ratio(a50, added(nginxSeq, "p50"))), fmt.ratio(ratio(a99, added(nginxSeq, "p99"))), row.load?.toFixed(2) ?? "—"]);
  }
  console.log("");
  console.log("latency — one request in flight (one keep-alive connection, sequential requests), hello world");
  console.log(formatTable(t));
  console.log("added: this row's latency minus bare node's in this run (target for wharf: added p50 and p99 ≤ nginx's, ÷ ≤ 1.00×)");
}
if (runtime.length > 0) {
  const bareUnix = runtime[0]?.result?.rps;
  const t = [["target", "req/s", "p50 ms", "p99 ms", "÷ bare node (Unix socket)", "load 1m"]];
  for (const row of runtime) {
    const r = row.result;
    if (r === undefined) t.push([row.name, "—", "—", "—", `FAILED: ${(row.error ?? "").split("\n")[0]}`, "—"]);
    else t.push([row.name, fmt.int(r.rps), fmt.ms(r.p50), fmt.ms(r.p99), fmt.ratio(ratio(r.rps, bareUnix)), row.load?.toFixed(2) ?? "—"]);
  }
  console.log("");
  console.log(`the runtime's own cost — ${LOAD.connections} keep-alive connections straight to a Unix socket (target: wharf runtime ≥ 0.80× bare node)`);
  console.log(formatTable(t));
}

for (const section of !wanted("cold") ? [] : [
  coldSection({ ...coldResult, error: [coldResult.error, coldResult.nodeError && `node -e 0: ${coldResult.nodeError}`].filter(Boolean).join("; ") || undefined }),
  burstSection(burstResult),
  memorySection(memoryResult),
]) {
  console.log("");
  for (const line of section) console.log(line);
}
if (coldResult.error !== undefined || coldResult.nodeError !== undefined || memoryResult.error !== undefined || burstResult.error !== undefined) exitCode = 1;

// The summary: each figure of this run against its target (docs/status.md; "beat nginx" read as ≥ 1.00×).
const coldSummary = summarize(coldResult.cold?.cold ?? []);
const nodeSummary = summarize(coldResult.node);
const memory = memoryResult.memory;
const containerRss = summarize((memory?.agents ?? []).filter((a) => a.role === "container").map((a) => a.rssKiB)).p50;
const served = burstResult.burst?.statuses.get("200") ?? 0;
const coldChecks = [
  { name: "scale-from-zero p50 ÷ node -e 0 p50", value: ratio(coldSummary.p50, nodeSummary.p50), target: "≤", limit: 0.2 },
  { name: "scale-from-zero p99 ÷ node -e 0 p99", value: ratio(coldSummary.p99, nodeSummary.p99), target: "≤", limit: 0.4 },
  { name: "idle container RSS (median) ÷ bare node RSS", value: ratio(containerRss, memory?.bareKiB), target: "≤", limit: 1.2 },
  { name: `burst: ${BURST.count} requests at zero, all served`, value: burstResult.burst === undefined ? undefined : served, show: `${served}/${BURST.count}`, target: "≥", limit: BURST.count, limitText: `${BURST.count}/${BURST.count}` },
];
const bareSeq = latency.find((r) => r.name === "node http (bare)")?.result;
const nginxSeq = latency.find((r) => r.name === "nginx → node (keep-alive)")?.result;
const proxySeq = latency.find((r) => r.name === PROXY_ROW)?.result;
const addedOver = (r, p) => (r === undefined || bareSeq === undefined ? undefined : r[p] - bareSeq[p]);
const checks = [
  ...(wanted("cold") ? coldChecks : []),
  ...(wanted("latency")
    ? ["p50", "p99"].map((p) => ({ name: `proxy path, one request in flight: added ${p} ÷ nginx's added ${p}`, value: ratio(addedOver(proxySeq, p), addedOver(nginxSeq, p)), target: "≤", limit: 1 }))
    : []),
  ...(wanted("runtime")
    ? [{ name: "runtime serving a fastapiEndpoint directly ÷ bare node (Unix sockets)", value: ratio(runtime[1]?.result?.rps, runtime[0]?.result?.rps), target: "≥", limit: 0.8 }]
    : []),
  ...rows
    .filter((row) => row.name.startsWith("wharf"))
    .map((row) => ({ name: `${row.name} req/s ÷ nginx`, value: row.result === undefined ? undefined : ratio(row.result.rps, nginxRps), target: "≥", limit: row.name === PROXY_ROW ? 0.8 : 1 })),
];
console.log("");
console.log("targets (this run only: one sample on a shared machine, see the load averages)");
for (const line of targetsSection(checks)) console.log(line);
console.log(`load average at end ${loadAverage()}`);
process.exitCode = exitCode;

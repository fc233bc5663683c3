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
 * Everything it starts runs in its own process group and is stopped in `finally` blocks; a
 * watchdog bounds the whole run.
 */
import { cpus, loadavg, platform, release } from "node:os";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { agentsUnder } from "./lib/agents.mjs";
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

const messageOf = (err) => (err instanceof Error ? err.message : String(err));

let exitCode = 0;
try {
  await nodeStarts(NODE_RUNS / 2);
  await coldApp();
  await nodeStarts(NODE_RUNS / 2);

  progress("bare node: starting");
  let bare;
  try {
    bare = await startBareNode(ROOT);
  } catch (err) {
    rows.push({ name: "node http (bare)", error: `did not start: ${err instanceof Error ? err.message : String(err)}`, notes: [] });
  }
  if (bare !== undefined) await measure("node http (bare)", bare);

  const nginx = findNginx();
  if (nginx === undefined) {
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
  await withTarget("wharf fastapiEndpoint (defaults)", () => startWharf(ROOT, "bench/apps/hello-fastapi.ts"), wharfNotes(defaults));
  await withTarget("wharf fastapiEndpoint, 1 container", () => startWharf(ROOT, "bench/apps/hello-fastapi-one.ts"), wharfNotes("maxContainers 1, concurrency.maxInputs 1000"));
  await withTarget("wharf fastapiEndpoint, 2 containers", () => startWharf(ROOT, "bench/apps/hello-fastapi-pair.ts"), wharfNotes("minContainers 2, maxContainers 2, concurrency.maxInputs 100"));
  // --handoff (docs/handoff.md): each load connection is handed to a container after its first
  // request; the rest of its traffic never passes through the gateway.
  await withTarget("wharf fastapiEndpoint, 1 container, --handoff", () => startWharf(ROOT, "bench/apps/hello-fastapi-one.ts", ["--handoff"]), wharfNotes("maxContainers 1, concurrency.maxInputs 1000, --handoff"));
  await withTarget("wharf fastapiEndpoint, 2 containers, --handoff", () => startWharf(ROOT, "bench/apps/hello-fastapi-pair.ts", ["--handoff"]), wharfNotes("minContainers 2, maxContainers 2, concurrency.maxInputs 100, --handoff"));
  await withTarget("wharf asgiApp (fetch fn)", () => startWharf(ROOT, "bench/apps/hello-asgi.ts"), wharfNotes(defaults));
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

for (const section of [
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
const checks = [
  { name: "scale-from-zero p50 ÷ node -e 0 p50", value: ratio(coldSummary.p50, nodeSummary.p50), target: "≤", limit: 0.2 },
  { name: "scale-from-zero p99 ÷ node -e 0 p99", value: ratio(coldSummary.p99, nodeSummary.p99), target: "≤", limit: 0.4 },
  { name: "idle container RSS (median) ÷ bare node RSS", value: ratio(containerRss, memory?.bareKiB), target: "≤", limit: 1.2 },
  { name: `burst: ${BURST.count} requests at zero, all served`, value: burstResult.burst === undefined ? undefined : served, show: `${served}/${BURST.count}`, target: "≥", limit: BURST.count, limitText: `${BURST.count}/${BURST.count}` },
  ...rows
    .filter((row) => row.name.startsWith("wharf"))
    .map((row) => ({ name: `${row.name} req/s ÷ nginx`, value: row.result === undefined ? undefined : ratio(row.result.rps, nginxRps), target: "≥", limit: 1 })),
];
console.log("");
console.log("targets (this run only: one sample on a shared machine, see the load averages)");
for (const line of targetsSection(checks)) console.log(line);
console.log(`load average at end ${loadAverage()}`);
process.exitCode = exitCode;

/**
 * `npm run bench`: hello-world throughput and latency on loopback, measured in one run, for a bare
 * Node server (the ceiling for any Node path), nginx → Node with upstream keep-alive (what a user
 * would put in front instead, when nginx is installed) and `wharf serve` as a fastapiEndpoint and
 * as an asgiApp. Prints each as a ratio of the bare server and of nginx (DESIGN.md, "Why these
 * choices"). A program, not a test: it asserts nothing about timings.
 *
 * Everything it starts runs in its own process group and is stopped in `finally` blocks; a
 * watchdog bounds the whole run.
 */
import { cpus, loadavg, platform, release } from "node:os";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { runLoad } from "./lib/load.mjs";
import { probe } from "./lib/probe.mjs";
import { countDescendants, killAllSync, stopAll } from "./lib/processes.mjs";
import { fmt, formatTable } from "./lib/table.mjs";
import { findNginx, startBareNode, startNginx, startWharf } from "./lib/targets.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOAD = { connections: 32, warmupS: 1, durationS: 5 };
const WATCHDOG_MS = 150_000;

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

/** One row per target: { name, result?, error?, skipped?, notes: string[] }. */
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

/** Containers after the load, and lines of wharf's output worth showing (warnings, errors, deaths). */
const wharfNotes = (target) => [
  `${countDescendants(target.procs[0].pid, "agent.js")} runtime agent process(es) under wharf after the load (containers and any standby; default function options: concurrency.maxInputs 1)`,
  ...target.procs[0]
    .tail(200)
    .split("\n")
    .filter((line) => /^(warning|error):|exited unexpectedly|could not replace/.test(line)),
];

let exitCode = 0;
try {
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

  await withTarget("wharf fastapiEndpoint", () => startWharf(ROOT, "bench/apps/hello-fastapi.ts"), wharfNotes);
  await withTarget("wharf asgiApp (fetch fn)", () => startWharf(ROOT, "bench/apps/hello-asgi.ts"), wharfNotes);
} catch (err) {
  exitCode = 1;
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await stopAll();
}

const baseline = (name) => rows.find((r) => r.name === name && r.result !== undefined && r.result.ok > 0)?.result.rps;
const bareRps = baseline("node http (bare)");
const nginxRps = baseline("nginx → node (keep-alive)");

const table = [["target", "req/s", "p50 ms", "p99 ms", "÷ node", "÷ nginx", "2xx", "non-2xx", "errors", "status"]];
for (const row of rows) {
  const r = row.result;
  if (r === undefined) {
    table.push([row.name, "—", "—", "—", "—", "—", "—", "—", "—", row.skipped ?? `FAILED: ${(row.error ?? "").split("\n")[0]}`]);
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
    status,
  ]);
}
console.log("");
console.log(formatTable(table));
console.log("req/s: 2xx responses per second; p50/p99: latency of 2xx responses; ÷: req/s as a fraction of that row's req/s");
console.log(`load average at end ${loadAverage()}`);

for (const row of rows) {
  if (row.skipped !== undefined) console.log(row.skipped);
  if (row.error !== undefined) {
    exitCode = 1;
    console.log(`${row.name}: ${row.error}`);
  }
  if (row.result !== undefined && row.result.non2xx > 0) console.log(`${row.name}: status codes ${JSON.stringify(row.result.statusCodes)}`);
  for (const note of row.notes) console.log(`${row.name}: ${note}`);
}
process.exitCode = exitCode;

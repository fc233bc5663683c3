/**
 * `npm run bench:sandbox` (issue 13.6): what the container sandbox (docs/isolation.md) costs, in
 * one run, side by side: `wharf serve bench/apps/cold.ts` with the sandbox (the default as root)
 * and with `WHARF_NO_SANDBOX=1`, alternating ROUNDS times so both see the same machine. Figures:
 * scale-from-zero first response (p50, p99) and the idle resident container's RSS (its agent,
 * plus the sandbox's init process where there is one). A program, not a test: it asserts nothing.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { rssKiB } from "./lib/agents.mjs";
import { coldStarts } from "./lib/cold.mjs";
import { statusReader, waitForStatus, atZero } from "./lib/http.mjs";
import { killAllSync, stopAll } from "./lib/processes.mjs";
import { ratio, summarize } from "./lib/stats.mjs";
import { fmt, formatTable } from "./lib/table.mjs";
import { startWharfApp } from "./lib/wharf-app.mjs";
import { idleMemory } from "./lib/memory.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FILE = "bench/apps/cold.ts";
const FUNCTIONS = ["cold0", "cold1", "cold2", "cold3", "cold4", "cold5"];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 15);

process.on("exit", killAllSync);
setTimeout(() => {
  console.error("bench:sandbox: still running after 600 s, stopping everything it started");
  void stopAll().finally(() => process.exit(1));
}, 600_000).unref();
const progress = (message) => process.stderr.write(`bench:sandbox: ${message}\n`);

/** RSS (KiB) of the bubblewrap processes between `pid` and `root`: what the sandbox adds to one container. */
function sandboxKiB(pid, root) {
  let total = 0;
  for (let p = pid; p !== root && p > 1; ) {
    let stat;
    try {
      stat = readFileSync(`/proc/${p}/stat`, "utf8");
    } catch {
      break;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (comm === "bwrap" && p !== pid) total += rssKiB(p) ?? 0;
    p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  return total;
}

async function one(mode) {
  const env = { WHARF_TIMING: "1", ...(mode === "no sandbox" ? { WHARF_NO_SANDBOX: "1" } : {}) };
  const app = await startWharfApp(ROOT, FILE, { lastFunction: "resident", env });
  const status = statusReader(app.port);
  try {
    await waitForStatus(status, (s) => FUNCTIONS.every((fn) => atZero(s.get(fn))), "every cold function at zero", 30_000);
    const cold = await coldStarts({ app, status, functions: FUNCTIONS, samples: SAMPLES, deadline: Date.now() + 90_000, progress });
    const memory = await idleMemory({ root: ROOT, app, host: app.hosts.get("resident"), requests: 20 });
    const resident = memory.agents.find((a) => a.role === "container" && a.fn === "resident") ?? memory.agents.find((a) => a.role === "container");
    const initKiB = resident === undefined ? 0 : sandboxKiB(resident.pid, app.proc.pid);
    return { cold: cold.cold, failures: cold.failures, agentKiB: resident?.rssKiB, initKiB };
  } finally {
    status.close();
    await app.proc.stop();
  }
}

const load = loadavg()[0].toFixed(2);
const results = { sandbox: { cold: [], agent: [], init: [], failures: [] }, "no sandbox": { cold: [], agent: [], init: [], failures: [] } };
try {
  if (process.getuid?.() !== 0) progress("not root: the sandbox needs user namespaces here (docs/isolation.md)");
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? ["sandbox", "no sandbox"] : ["no sandbox", "sandbox"]) {
      progress(`round ${round + 1}/${ROUNDS}: ${mode}`);
      const r = await one(mode);
      results[mode].cold.push(...r.cold);
      results[mode].failures.push(...r.failures);
      if (r.agentKiB !== undefined) results[mode].agent.push(r.agentKiB);
      results[mode].init.push(r.initKiB);
    }
  }
  const row = (mode) => {
    const c = summarize(results[mode].cold);
    const agent = summarize(results[mode].agent).p50;
    const init = summarize(results[mode].init).p50 ?? 0;
    return { c, agent, init, total: agent === undefined ? undefined : agent + init };
  };
  const on = row("sandbox");
  const off = row("no sandbox");
  const mib = (kib) => (kib === undefined ? "—" : (kib / 1024).toFixed(1));
  console.log(`\nbench:sandbox — ${new Date().toISOString()}, load average ${load} at start, ${ROUNDS} rounds × ${SAMPLES} cold starts per mode\n`);
  console.log(formatTable([
    ["figure", "sandbox", "no sandbox", "sandbox ÷ none"],
    [`scale from zero p50 (ms, n=${on.c.n}/${off.c.n})`, fmt.ms(on.c.p50), fmt.ms(off.c.p50), fmt.ratio(ratio(on.c.p50, off.c.p50))],
    ["scale from zero p99 (ms)", fmt.ms(on.c.p99), fmt.ms(off.c.p99), fmt.ratio(ratio(on.c.p99, off.c.p99))],
    ["idle container RSS, agent (MiB)", mib(on.agent), mib(off.agent), fmt.ratio(ratio(on.agent, off.agent))],
    ["idle container RSS, agent + its bubblewrap processes (MiB)", mib(on.total), mib(off.total), fmt.ratio(ratio(on.total, off.total))],
  ]));
  for (const mode of Object.keys(results)) if (results[mode].failures.length > 0) console.log(`${mode}: ${results[mode].failures.length} failed samples: ${results[mode].failures.slice(0, 3).join("; ")}`);
} finally {
  await stopAll();
}
process.exit(0);

/**
 * The cost of observing requests (docs/observability.md): hello-world throughput through
 * `wharf serve` (fastapiEndpoint, one container) with request logs, telemetry and metrics off
 * (WHARF_OBSERVE=0), on with `--quiet` (dashboard counters and Prometheus metrics, no lines),
 * and on with a request line per request (written to a pipe the bench drains). Each mode is run
 * ROUNDS times, interleaved, so drift on a shared machine hits every mode alike; the best round
 * of each is compared (the least disturbed one). First, the added work per request measured
 * in-process (bench/lib/observe-micro.ts), which a busy machine disturbs far less.
 *
 *   npm run build && node bench/observe.mjs [rounds] [seconds]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { runLoad } from "./lib/load.mjs";
import { startProcess, stopAll } from "./lib/processes.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 5);
const MODES = [
  { name: "off (WHARF_OBSERVE=0)", args: ["--quiet"], env: { WHARF_OBSERVE: "0" } },
  { name: "metrics + dashboard (--quiet)", args: ["--quiet"], env: {} },
  { name: "metrics + dashboard + request lines", args: [], env: {} },
];

async function round(mode) {
  const proc = await startProcess({
    name: `wharf serve (${mode.name})`,
    command: process.execPath,
    args: [join(ROOT, "bin/wharf.js"), "serve", "bench/apps/hello-fastapi-one.ts", "--port", "0", ...mode.args],
    cwd: ROOT,
    env: mode.env,
    ready: /=> http:\/\/([^\s/:]+):(\d+)/,
    timeoutMs: 30_000,
  });
  try {
    const port = Number(proc.match[2]);
    return await runLoad({ url: `http://127.0.0.1:${port}/`, host: `${proc.match[1]}:${port}`, connections: 32, warmupS: 2, durationS: SECONDS });
  } finally {
    await proc.stop();
  }
}

/** µs per request of ids and of recording, in a process of its own. */
async function micro() {
  const dir = mkdtempSync(join(tmpdir(), "wharf-bench-observe-"));
  try {
    const out = join(ROOT, "node_modules", ".cache", `observe-micro-${process.pid}.mjs`);
    await build({ entryPoints: [join(ROOT, "bench/lib/observe-micro.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: out, logLevel: "warning" });
    try {
      return JSON.parse(execFileSync(process.execPath, [out], { encoding: "utf8", cwd: dir }).trim());
    } finally {
      rmSync(out, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cost = await micro();
console.log(`in-process, per request: ids ${cost.idsUs.toFixed(2)} µs, telemetry + metrics ${cost.recordUs.toFixed(2)} µs`);

const best = new Map();
try {
  for (let r = 1; r <= ROUNDS; r++) {
    // Rotated each round, so no mode always runs first (right after a server start, say).
    for (const mode of [...MODES.slice((r - 1) % MODES.length), ...MODES.slice(0, (r - 1) % MODES.length)]) {
      const result = await round(mode);
      console.log(`round ${r} ${mode.name}: ${Math.round(result.rps)} req/s, p50 ${result.p50?.toFixed(2)} ms, p99 ${result.p99?.toFixed(2)} ms, non-2xx ${result.non2xx}, errors ${result.errors}`);
      if ((best.get(mode.name)?.rps ?? 0) < result.rps) best.set(mode.name, result);
    }
  }
} finally {
  await stopAll();
}
const base = best.get(MODES[0].name)?.rps ?? 0;
console.log(`\nbest of ${ROUNDS} rounds of ${SECONDS} s, 32 keep-alive connections, loopback:`);
for (const mode of MODES) {
  const rps = best.get(mode.name)?.rps ?? 0;
  console.log(`  ${mode.name.padEnd(40)} ${String(Math.round(rps)).padStart(7)} req/s  ${(rps / base).toFixed(3)}× of off`);
}
// At the "off" rate one request costs 1e6 / rps µs of the gateway's (single) thread at most.
const perRequestUs = 1e6 / base;
console.log(`\nadded work per request vs the whole request at the "off" rate: ${(((cost.idsUs + cost.recordUs) / perRequestUs) * 100).toFixed(2)} % (${(cost.idsUs + cost.recordUs).toFixed(2)} of ≤${perRequestUs.toFixed(0)} µs)`);

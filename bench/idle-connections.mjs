/**
 * `npm run bench:idle`: what idle keep-alive client connections cost the gateway. For `wharf
 * serve` (the proxy path, and with `--handoff`), opens CONNECTIONS connections, sends one request
 * on each (to a host with no endpoint: the gateway answers it itself, so the connections cost no
 * container time) and leaves it open, then prints the gateway process's RSS growth per connection
 * and the latency of probe requests to a real endpoint, on new connections, while they are all
 * open. A program, not a test.
 *
 * The client runs in this process; the gateway is the `wharf serve` process (its containers are
 * separate processes and not counted). RSS is read from /proc/PID/status (VmRSS).
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { killAllSync, sleep, stopAll } from "./lib/processes.mjs";
import { summarize } from "./lib/stats.mjs";
import { fmt, formatTable } from "./lib/table.mjs";
import { startWharf } from "./lib/targets.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONNECTIONS = Number(process.env.IDLE_CONNECTIONS ?? 10_000);
const PROBES = 20;
const TARGET_KIB = 4;
const TARGET_PROBE_MS = 100;

process.on("exit", killAllSync);
setTimeout(() => {
  console.error("bench: still running after 300 s, stopping everything it started");
  void stopAll().finally(() => process.exit(1));
}, 300_000).unref();

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

/** One connection: a request, its whole answer read, then kept open. */
function openIdle(port, host, done = /\r\n\r\n[\s\S]*(\}|\r\n0\r\n\r\n)$/) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      data += chunk;
      if (done.test(data)) resolve(socket);
    });
    socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

async function probeMs(port, host) {
  const started = process.hrtime.bigint();
  const socket = await openIdle(port, host);
  socket.destroy();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function row(label, args) {
  const target = await startWharf(ROOT, "bench/apps/hello-fastapi.ts", ["--max-connections", String(CONNECTIONS * 2), "--max-connections-per-ip", String(CONNECTIONS * 2), ...args]);
  const pid = target.procs[0].pid;
  const host = "bench-fastapi-hello-dev.localhost";
  const sockets = [];
  try {
    const idle = () => openIdle(target.port, "nowhere.localhost");
    for (let i = 0; i < 50; i++) (await openIdle(target.port, host)).destroy(); // warm up
    for (let i = 0; i < 50; i++) (await idle()).destroy();
    await sleep(500);
    const before = rssKiB(pid);
    for (let i = 0; i < CONNECTIONS; i += 200) {
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(200, CONNECTIONS - i) }, idle))));
    }
    await sleep(1000);
    const after = rssKiB(pid);
    const probes = [];
    for (let i = 0; i < PROBES; i++) probes.push(await probeMs(target.port, host));
    const stats = summarize(probes);
    return { label, connections: sockets.length, beforeMiB: before / 1024, afterMiB: after / 1024, perConnKiB: (after - before) / sockets.length, probeP50: stats.p50, probeMax: stats.max };
  } finally {
    for (const s of sockets) s.destroy();
    await target.procs[0].stop();
  }
}

const rows = [await row("wharf serve", []), await row("wharf serve --handoff", ["--handoff"])];
console.log(`\nIdle keep-alive connections: ${CONNECTIONS} opened from loopback, one request each, then left open; gateway RSS (VmRSS)`);
console.log(
  formatTable([
    ["target", "open", "RSS before", "RSS after", "per connection", `≤ ${TARGET_KIB} KiB`, "probe p50", "probe max", `≤ ${TARGET_PROBE_MS} ms`],
    ...rows.map((r) => [r.label, String(r.connections), `${r.beforeMiB.toFixed(1)} MiB`, `${r.afterMiB.toFixed(1)} MiB`, `${r.perConnKiB.toFixed(2)} KiB`, r.perConnKiB <= TARGET_KIB ? "✓" : "✗", `${fmt.ms(r.probeP50)} ms`, `${fmt.ms(r.probeMax)} ms`, r.probeMax <= TARGET_PROBE_MS ? "✓" : "✗"]),
  ]),
);
console.log("(--handoff: connections handed to a container are the container's, not the gateway's; the rest stay in the gateway)");
await stopAll();

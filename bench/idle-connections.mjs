/**
 * `npm run bench:idle`: what idle keep-alive client connections cost the gateway, next to what
 * they cost a bare Node `http.Server` (Node's own share of the figure). For each target it opens
 * CONNECTIONS connections, sends one request on each (to the gateway: a host with no endpoint, so
 * the gateway answers it itself and the connections cost no container time) and leaves them open,
 * then prints the server process's RSS growth per connection and the latency of probe requests
 * (to a real endpoint, each on a new connection) while they are all open. A program, not a test.
 *
 * The idle connections are held by a separate process (bench/lib/idle-holder.mjs); the probes
 * come from this one. The server measured is the `wharf serve` process (its containers are
 * separate processes and not counted) or bench/apps/bare-node.mjs. RSS is VmRSS from
 * /proc/PID/status.
 *
 * A second table profiles the same load in-process (bench/lib/idle-profile-server.ts, run with
 * `--expose-gc`): live heap after a full GC, heap committed and RSS per connection, for a bare
 * `net.Server`, a bare `http.Server` and the gateway without a CLI around it. RSS growth of a
 * long-running process is partly the V8 heap's and the allocator's free space; the live heap is
 * what the connections themselves hold.
 *
 * Every process needs CONNECTIONS + a margin of open files: the bench raises its soft limit to
 * the hard one (and re-runs itself) when it is lower, or says what to do.
 */
import { execFileSync, fork, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { killAllSync, sleep, stopAll } from "./lib/processes.mjs";
import { summarize } from "./lib/stats.mjs";
import { fmt, formatTable } from "./lib/table.mjs";
import { startBareNode, startWharf } from "./lib/targets.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONNECTIONS = Number(process.env.IDLE_CONNECTIONS ?? 10_000);
const PROBES = 20;
const TARGET_KIB = 4;
const TARGET_PROBE_MS = 100;
const FILES_NEEDED = CONNECTIONS + 1000;

const fileLimit = (which) => Number(execFileSync("sh", ["-c", `ulimit ${which}n`], { encoding: "utf8" }).trim());
if (fileLimit("-S") < FILES_NEEDED) {
  const hard = fileLimit("-H");
  if (hard < FILES_NEEDED || process.env.IDLE_BENCH_RAISED === "1") {
    console.error(`bench: ${CONNECTIONS} connections need ${FILES_NEEDED} open files per process; the hard limit is ${hard}. Raise it (as root: ulimit -Hn ${FILES_NEEDED}) or set IDLE_CONNECTIONS lower.`);
    process.exit(1);
  }
  const rerun = spawnSync("sh", ["-c", `ulimit -n ${hard} && exec "$0" "$@"`, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)], { stdio: "inherit", env: { ...process.env, IDLE_BENCH_RAISED: "1" } });
  process.exit(rerun.status ?? 1);
}

process.on("exit", killAllSync);
setTimeout(() => {
  console.error("bench: still running after 600 s, stopping everything it started");
  void stopAll().finally(() => process.exit(1));
}, 600_000).unref();

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

/** One request on a new connection, its whole answer read: milliseconds. */
function probeMs(port, host) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      data += chunk;
      if (/^HTTP\/1\.1 200 [\s\S]*\r\n\r\n[\s\S]*(\}|\r\n0\r\n\r\n)$/.test(data)) {
        socket.destroy();
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      }
    });
    socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

/** Asks the holder process something and waits for its answer. */
async function ask(holder, message) {
  holder.send(message);
  const [answer] = await once(holder, "message");
  if (answer.error !== undefined) throw new Error(`idle connections: ${answer.error}`);
  return answer;
}

/**
 * `start()` → { procs, port }; `idleHost`: the Host of the idle connections' one request;
 * `probeHost`: the Host the probes ask.
 */
async function row(label, start, idleHost, probeHost) {
  const target = await start();
  const pid = target.procs[0].pid;
  const holder = fork(fileURLToPath(new URL("./lib/idle-holder.mjs", import.meta.url)), [], { stdio: "inherit" });
  try {
    for (let i = 0; i < 50; i++) await probeMs(target.port, probeHost); // warm up
    await ask(holder, { open: { port: target.port, host: idleHost, count: 50 } });
    await sleep(500);
    const before = rssKiB(pid);
    const held = await ask(holder, { open: { port: target.port, host: idleHost, count: CONNECTIONS } });
    await sleep(1000);
    const after = rssKiB(pid);
    const opened = held.opened - 50;
    const probes = [];
    for (let i = 0; i < PROBES; i++) probes.push(await probeMs(target.port, probeHost));
    const { closedByServer } = await ask(holder, { status: true });
    const stats = summarize(probes);
    return { label, connections: opened, closedByServer, beforeMiB: before / 1024, afterMiB: after / 1024, perConnKiB: (after - before) / opened, probeP50: stats.p50, probeMax: stats.max };
  } finally {
    holder.send({ close: true });
    await target.procs[0].stop();
  }
}

const HELLO = "bench-fastapi-hello-dev.localhost";
// Room for every connection, from one IP: the caps are not what is measured here.
const caps = ["--max-connections", String(CONNECTIONS * 2), "--max-connections-per-ip", String(CONNECTIONS * 2)];
const wharf = (args) => () => startWharf(ROOT, "bench/apps/hello-fastapi.ts", [...caps, ...args]);
const rows = [
  await row("bare Node http.Server", () => startBareNode(ROOT), "localhost", "localhost"),
  await row("wharf serve", wharf([]), "nowhere.localhost", HELLO),
  await row("wharf serve --handoff", wharf(["--handoff"]), "nowhere.localhost", HELLO),
];
const bare = rows[0]?.perConnKiB ?? NaN;
console.log(`\nIdle keep-alive connections: ${CONNECTIONS} opened from loopback by another process, one request each, then left open; server RSS (VmRSS)`);
console.log(
  formatTable([
    ["target", "open", "RSS before", "RSS after", "per connection", "over bare Node", `≤ ${TARGET_KIB} KiB`, "probe p50", "probe max", `≤ ${TARGET_PROBE_MS} ms`],
    ...rows.map((r) => [
      r.label,
      r.closedByServer === 0 ? String(r.connections) : `${r.connections} (${r.closedByServer} closed by it)`,
      `${r.beforeMiB.toFixed(1)} MiB`,
      `${r.afterMiB.toFixed(1)} MiB`,
      `${r.perConnKiB.toFixed(2)} KiB`,
      r === rows[0] ? "—" : `${(r.perConnKiB - bare).toFixed(2)} KiB`,
      r.perConnKiB <= TARGET_KIB ? "✓" : "✗",
      `${fmt.ms(r.probeP50)} ms`,
      `${fmt.ms(r.probeMax)} ms`,
      r.probeMax <= TARGET_PROBE_MS ? "✓" : "✗",
    ]),
  ]),
);
console.log("(--handoff: the idle connections' host has no endpoint, so they stay in the gateway; a handed-off connection would be its container's)");

/** The profile of one holder of connections (see the header): bytes per connection after gc(). */
async function profile(label, mode, server) {
  const child = fork(server, [mode], { execArgv: ["--expose-gc"], stdio: "inherit" });
  const holder = fork(fileURLToPath(new URL("./lib/idle-holder.mjs", import.meta.url)), [], { stdio: "inherit" });
  try {
    const [{ port }] = await once(child, "message");
    const measure = async () => {
      child.send("measure");
      return (await once(child, "message"))[0];
    };
    await ask(holder, { open: { port, host: "nowhere.localhost", count: 50 } });
    await sleep(500);
    const before = await measure();
    const held = await ask(holder, { open: { port, host: "nowhere.localhost", count: CONNECTIONS } });
    await sleep(1000);
    const after = await measure();
    const per = (key) => (after[key] - before[key]) / 1024 / (held.opened - 50);
    return { label, heapUsed: per("heapUsed"), heapTotal: per("heapTotal"), rss: per("rss") };
  } finally {
    holder.send({ close: true });
    child.kill();
  }
}

const cache = join(ROOT, "node_modules", ".cache");
mkdirSync(cache, { recursive: true });
const server = join(cache, `idle-profile-server-${process.pid}.mjs`);
try {
  await build({ entryPoints: [join(ROOT, "bench/lib/idle-profile-server.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: server, logLevel: "warning" });
  const profiles = [];
  for (const [label, mode] of [["bare net.Server", "net"], ["bare http.Server", "http"], ["Gateway", "gateway"], ["Gateway, handoff", "handoff"]]) profiles.push(await profile(label, mode, server));
  console.log(`\nProfile, in-process, after gc(): per idle connection (${CONNECTIONS} connections as above)`);
  console.log(
    formatTable([
      ["holder", "live heap", "heap committed", "RSS"],
      ...profiles.map((p) => [p.label, `${p.heapUsed.toFixed(2)} KiB`, `${p.heapTotal.toFixed(2)} KiB`, `${p.rss.toFixed(2)} KiB`]),
    ]),
  );
} finally {
  rmSync(server, { force: true });
}
await stopAll();

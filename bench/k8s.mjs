/**
 * `npm run bench:k8s`, one run on the test cluster (`scripts/test-cluster.sh up` first):
 * 1. scale from zero through the gateway: the first response of a function at zero (p50/p99 over
 *    SAMPLES starts), and for the same starts the backend's time from its `/scale` write to a
 *    ready pod in the Endpoints watch (`WHARF_TIMING=1` lines);
 * 2. hello-world throughput with Debian's `wrk` (a C load generator): through the gateway to two
 *    pods, straight to one pod (with its pod key: the runtime alone), and a bare Node server on
 *    this host, as ratios.
 * A program, not a test: it asserts nothing about timings. Everything it starts is stopped in
 * `finally` blocks; a watchdog bounds the run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { timedGet } from "./lib/http.mjs";
import { killAllSync, sleep, startProcess, stopAll } from "./lib/processes.mjs";
import { ratio, summarize } from "./lib/stats.mjs";
import { fmt, formatTable } from "./lib/table.mjs";
import { startBareNode } from "./lib/targets.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const STATE = process.env.WHARF_K8S_STATE ?? "/tmp/wharf-k8s";
const KUBECONFIG = process.env.WHARF_KUBECONFIG ?? `${STATE}/admin.kubeconfig`;
const NODE_ADDRESS = process.env.WHARF_K8S_NODE_IP ?? "10.244.0.1";
const NAMESPACE = `bench-k8s-${process.pid}`;
const SAMPLES = Number(process.env.BENCH_K8S_SAMPLES ?? 12);
const LOAD = { connections: 32, threads: 2, durationS: 8 };
const WATCHDOG_MS = 600_000;

process.on("exit", killAllSync);
setTimeout(() => {
  console.error(`bench:k8s: still running after ${WATCHDOG_MS / 1000} s, stopping everything it started`);
  void stopAll().finally(() => process.exit(1));
}, WATCHDOG_MS).unref();
const progress = (message) => process.stderr.write(`bench:k8s: ${message}\n`);

const kc = new KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);

async function until(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const pods = async (fn) => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `wharf.dev/app=bench-k8s,wharf.dev/function=${fn}` })).items;

/** wrk's figures: requests/s and latency percentiles (ms), from its --latency report. */
function wrk(url, headers = {}) {
  const args = ["-t", String(LOAD.threads), "-c", String(LOAD.connections), "-d", `${LOAD.durationS}s`, "--latency", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url];
  const out = execFileSync("wrk", args, { encoding: "utf8", timeout: (LOAD.durationS + 20) * 1000 });
  const ms = (label) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(out);
    if (m === null) return undefined;
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 }[m[2]] ?? 1);
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (non2xx > 0) progress(`${url}: ${non2xx} non-2xx answers`);
  const errors = /Socket errors: (.*)/.exec(out)?.[1];
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: ms("50"), p99: ms("99"), non2xx, errors };
}

async function main() {
  if (spawnSync("wrk", ["--version"]).error !== undefined) throw new Error("wrk is not installed: apt-get install -y wrk");
  const load = loadavg()[0].toFixed(2);
  progress(`namespace ${NAMESPACE}, load average ${load}`);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const data = mkdtempSync(join(tmpdir(), "wharf-bench-k8s-"));
  const timings = [];
  try {
    const server = await startProcess({
      name: "wharf server --backend kubernetes",
      command: process.execPath,
      args: [join(ROOT, "bin/wharf.js"), "server", "--backend", "kubernetes", "--kubeconfig", KUBECONFIG, "--namespace", NAMESPACE, "--bundle-host", NODE_ADDRESS, "--port", "0", "--admin-port", "0", "--data", data],
      cwd: ROOT,
      env: { WHARF_TIMING: "1", NO_COLOR: "1" },
      ready: /gateway http:\/\/\S+:(\d+)/,
      timeoutMs: 60_000,
    });
    const port = Number(server.match[1]);
    server.child.stdout.on("data", (chunk) => {
      for (const m of String(chunk).matchAll(/\/scale write to a ready pod took ([\d.]+) ms/g)) timings.push(Number(m[1]));
    });
    await sleep(500);
    execFileSync(process.execPath, [join(ROOT, "bin/wharf.js"), "deploy", "bench/apps/k8s-hello.ts", "--data", data], { cwd: ROOT, stdio: "ignore", timeout: 120_000 });

    // 1. Scale from zero, SAMPLES times: wait for no pod, then one fresh request.
    progress(`scale from zero, ${SAMPLES} starts`);
    const cold = [];
    for (let i = 0; i < SAMPLES; i++) {
      await until("the cold function at zero", async () => (await pods("cold")).length === 0, 90_000);
      const answer = await timedGet({ port, host: "bench-k8s-cold.localhost", timeoutMs: 60_000 });
      if (answer.status !== 200) throw new Error(`a cold request got ${answer.status ?? answer.error}: ${answer.body ?? ""}\n${server.tail(30)}`);
      cold.push(answer.ms);
    }
    const scaleToReady = timings.slice();

    // 2. Throughput: through the gateway to two pods, straight to one, and bare Node here.
    await until("two ready pods of hello", async () => (await pods("hello")).filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length === 2, 90_000);
    const sample = await timedGet({ port, host: "bench-k8s-hello.localhost", agent: undefined });
    if (sample.status !== 200) throw new Error(`hello answered ${sample.status ?? sample.error}: ${sample.body ?? ""}`);
    progress("throughput through the gateway to two pods");
    // wrk sends its own Host unless one is given as "Host" (its check is case-sensitive).
    wrk(`http://127.0.0.1:${port}/`, { Host: "bench-k8s-hello.localhost" }); // warm-up
    const gateway = wrk(`http://127.0.0.1:${port}/`, { Host: "bench-k8s-hello.localhost" });
    const secret = await core.readNamespacedSecret({ name: "wharf-bundle-token", namespace: NAMESPACE });
    const key = Buffer.from(secret.data?.token ?? "", "base64").toString("utf8");
    const ip = (await pods("hello"))[0]?.status?.podIP;
    progress(`throughput straight to one pod (${ip})`);
    const direct = wrk(`http://${ip}:8484/`, { "x-wharf-pod-key": key });
    progress("throughput of a bare Node server on this host");
    const bare = await startBareNode(ROOT);
    let bareFigures;
    try {
      bareFigures = wrk(`http://127.0.0.1:${bare.port}/`);
    } finally {
      for (const p of bare.procs) await p.stop();
    }

    const c = summarize(cold);
    const s = summarize(scaleToReady);
    console.log(`\nbench:k8s — ${new Date().toISOString()}, load average ${load} at start, wrk -t${LOAD.threads} -c${LOAD.connections} -d${LOAD.durationS}s\n`);
    console.log(formatTable([
      ["figure", "value"],
      [`first response at zero, through the gateway (${c.n} starts)`, `p50 ${fmt.ms(c.p50)} ms, p99 ${fmt.ms(c.p99)} ms`],
      [`/scale write → ready pod in the Endpoints watch (${s.n})`, `p50 ${fmt.ms(s.p50)} ms, p99 ${fmt.ms(s.p99)} ms`],
      ["hello world, gateway → 2 pods", `${fmt.int(gateway.rps)} req/s, p50 ${fmt.ms(gateway.p50)} ms, p99 ${fmt.ms(gateway.p99)} ms${gateway.non2xx ? `, ${gateway.non2xx} non-2xx` : ""}`],
      ["hello world, straight to 1 pod (the runtime alone)", `${fmt.int(direct.rps)} req/s, p50 ${fmt.ms(direct.p50)} ms, p99 ${fmt.ms(direct.p99)} ms`],
      ["hello world, bare Node on this host", `${fmt.int(bareFigures.rps)} req/s, p50 ${fmt.ms(bareFigures.p50)} ms, p99 ${fmt.ms(bareFigures.p99)} ms`],
      ["gateway → 2 pods ÷ straight to 1 pod", fmt.ratio(ratio(gateway.rps, direct.rps))],
      ["gateway → 2 pods ÷ bare Node", fmt.ratio(ratio(gateway.rps, bareFigures.rps))],
    ]));
    await server.stop();
  } finally {
    await stopAll();
    rmSync(data, { recursive: true, force: true });
    await core.deleteNamespace({ name: NAMESPACE }).catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:k8s: ${err instanceof Error ? err.message : String(err)}`);
    void stopAll().finally(() => process.exit(1));
  },
);

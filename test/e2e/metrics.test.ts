/**
 * Prometheus metrics, scraped by a real Prometheus (Debian's `prometheus`, started here on
 * loopback with a temp config and storage, stopped after): `wharf server`'s admin port serves
 * /metrics behind the admin token; the values Prometheus stored are queried back through its HTTP
 * API and must match the traffic sent. `wharf serve` serves the same metrics on the reserved host.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const PROMETHEUS = process.env["PROMETHEUS_PATH"] ?? "prometheus";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const answer = await request(url, { headers });
  return { status: answer.statusCode, text: await answer.body.text() };
}

/** One instant query; the first sample's value, or undefined while there is none. */
async function query(prometheus: number, promql: string): Promise<number | undefined> {
  const { text } = await get(`http://127.0.0.1:${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const answer = JSON.parse(text) as { status: string; data?: { result: { value: [number, string] }[] } };
  const value = answer.data?.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

describe("Prometheus scrapes wharf server's /metrics", () => {
  const temp = tempDataDir("wharf-metrics-");
  let server: Server;
  let prometheus: ChildProcess | undefined;
  let promPort = 0;
  let token = "";

  beforeAll(async () => {
    if (spawnSync(PROMETHEUS, ["--version"]).status !== 0) throw new Error(`no ${PROMETHEUS}: apt-get install prometheus (or run bash .ci/run), or set PROMETHEUS_PATH`);
    server = await startServer(temp.dir);
    token = (JSON.parse(readFileSync(join(temp.dir, "admin.json"), "utf8")) as { token: string }).token;
    const deployed = await cli(temp.dir, ["deploy", "test/fixtures/dashboard.ts"]);
    expect(deployed.code, deployed.output).toBe(0);
    for (let i = 0; i < 7; i++) expect((await server.request("dash-hello.localhost")).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await server.request("dash-boom.localhost")).status).toBe(500);

    writeFileSync(join(temp.dir, "scrape-token"), token, { mode: 0o600 });
    writeFileSync(join(temp.dir, "prometheus.yml"), [
      "global:",
      "  scrape_interval: 1s",
      "scrape_configs:",
      "  - job_name: wharf",
      "    scrape_interval: 1s",
      "    authorization:",
      `      credentials_file: ${join(temp.dir, "scrape-token")}`,
      "    static_configs:",
      `      - targets: ["127.0.0.1:${server.adminPort}"]`,
      "",
    ].join("\n"));
    promPort = await freePort();
    prometheus = spawn(PROMETHEUS, [
      `--config.file=${join(temp.dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(temp.dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=warn",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    prometheus.stderr?.on("data", (d: Buffer) => (errors += d.toString()));
    const deadline = Date.now() + 30_000;
    while ((await get(`http://127.0.0.1:${promPort}/-/ready`).catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline || prometheus.exitCode !== null) throw new Error(`prometheus did not become ready: ${errors}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 90_000);
  afterAll(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once("exit", r));
      prometheus.kill("SIGTERM");
      const timer = setTimeout(() => prometheus?.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await server?.stop();
    temp.remove();
  });

  it("refuses /metrics without the admin token", async () => {
    expect((await get(`http://127.0.0.1:${server.adminPort}/metrics`)).status).toBe(401);
    expect((await get(`http://127.0.0.1:${server.adminPort}/metrics`, { authorization: "Bearer wa-wrong" })).status).toBe(401);
  });

  it("has the traffic's counts, histograms, gauges and process metrics in Prometheus", async () => {
    const q = (promql: string) => () => query(promPort, promql);
    const poll = { timeout: 30_000, interval: 500 };
    await expect.poll(q('wharf_requests_total{app="dash",function="hello",code="200"}'), poll).toBe(7);
    await expect.poll(q('wharf_requests_total{app="dash",function="boom",code="500"}'), poll).toBe(3);
    await expect.poll(q('wharf_request_duration_seconds_count{app="dash",function="hello"}'), poll).toBe(7);
    expect(await query(promPort, 'wharf_request_duration_seconds_bucket{app="dash",function="hello",le="+Inf"}')).toBe(7);
    expect(await query(promPort, 'sum(wharf_cold_starts_total{app="dash"})')).toBeGreaterThanOrEqual(2);
    expect(await query(promPort, 'wharf_cold_start_seconds_count{app="dash",function="hello"}')).toBeGreaterThanOrEqual(1);
    expect(await query(promPort, 'wharf_containers{app="dash",function="hello",state="idle"}')).toBe(1);
    expect(await query(promPort, 'wharf_inflight{app="dash",function="hello"}')).toBe(0);
    expect(await query(promPort, 'wharf_queued{app="dash",function="hello"}')).toBe(0);
    expect(await query(promPort, 'wharf_containers{state="standby"}')).toBeGreaterThanOrEqual(0);
    expect(await query(promPort, "process_resident_memory_bytes")).toBeGreaterThan(1024 * 1024);
    expect(await query(promPort, 'up{job="wharf"}')).toBe(1);

    // A redeploy: the old version's containers exit (reason "reload"), the counters go on.
    const again = await cli(temp.dir, ["deploy", "test/fixtures/dashboard.ts"]);
    expect(again.code, again.output).toBe(0);
    expect((await server.request("dash-hello.localhost")).status).toBe(200);
    await expect.poll(q('wharf_requests_total{app="dash",function="hello",code="200"}'), poll).toBe(8);
    await expect.poll(q('sum(wharf_container_exits_total{app="dash",reason="reload"})'), poll).toBeGreaterThanOrEqual(2);
  });

  it("serves /metrics on the reserved host behind the same sign-in", async () => {
    expect((await server.request("wharf.localhost", "/metrics")).status).toBe(401);
    const answer = await server.request("wharf.localhost", "/metrics", { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain("# TYPE wharf_requests_total counter");
  });
});

describe("wharf serve's /metrics on the reserved host", () => {
  it("is open on loopback and counts requests", async () => {
    const served = await startServe("test/fixtures/dashboard.ts", { args: ["--quiet"] });
    try {
      for (let i = 0; i < 2; i++) await served.request("dash-hello-dev.localhost");
      const answer = await served.request("wharf.localhost", "/metrics");
      expect(answer.status).toBe(200);
      expect(String(answer.headers["content-type"])).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(answer.text).toMatch(/^wharf_requests_total\{app="dash",function="hello",code="200"\} 2$/m);
      expect(answer.text).toMatch(/^wharf_containers\{app="dash",function="hello",state="idle"\} 1$/m);
      expect(answer.text).toContain("process_cpu_seconds_total");
    } finally {
      await served.stop();
    }
  });
});

/**
 * Request ids and request logs over the real CLI: every request gets an `x-request-id` and a W3C
 * `traceparent` (a client's valid ones kept), the container sees both, `wharf serve` prints one
 * line per request (none with --quiet) and `wharf server` appends JSON lines to its data dir,
 * rotated past a size cap.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const HOST = "fixture-echo-headers-dev.localhost";
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("wharf serve: request ids and the request log", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/echo-headers.ts");
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("keeps a client's valid x-request-id and trace id, passes both to the container and logs the request", async () => {
    const answer = await served.request(HOST, "/?q=1", { headers: { "x-request-id": "my-req-42", traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
    expect(answer.status).toBe(200);
    expect(answer.headers["x-request-id"]).toBe("my-req-42");
    const seen = answer.json<Record<string, string>>();
    expect(seen["x-request-id"]).toBe("my-req-42");
    expect(seen["traceparent"]).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    const line = await served.waitFor(/id=my-req-42/);
    expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} GET ${HOST}:${served.port}/\\?q=1 200 [\\d.]+ms c\\d+ id=my-req-42$`));
  });

  it("gives a request without ids (or with invalid ones) fresh ones", async () => {
    const bare = await served.request(HOST);
    const id = String(bare.headers["x-request-id"]);
    expect(id).toMatch(UUID);
    expect(bare.json<Record<string, string>>()["x-request-id"]).toBe(id);
    expect(bare.json<Record<string, string>>()["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await served.waitFor(new RegExp(`id=${id}$`));

    const bad = await served.request(HOST, "/", { headers: { "x-request-id": "no spaces allowed", traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` } });
    const seen = bad.json<Record<string, string>>();
    expect(seen["x-request-id"]).toMatch(UUID);
    expect(seen["traceparent"]).not.toContain("0".repeat(32));
  });

  it("logs refused requests too (an unknown host: no container)", async () => {
    const answer = await served.request("nobody-dev.localhost", "/x");
    expect(answer.status).toBe(404);
    const line = await served.waitFor(/nobody-dev\.localhost/);
    expect(line).toMatch(/ GET nobody-dev\.localhost:\d+\/x 404 [\d.]+ms - id=/);
  });
});

describe("wharf serve --quiet", () => {
  it("prints no request lines", async () => {
    const served = await startServe("test/fixtures/echo-headers.ts", { args: ["--quiet"] });
    try {
      const answer = await served.request(HOST, "/", { headers: { "x-request-id": "quiet-one" } });
      expect(answer.headers["x-request-id"]).toBe("quiet-one");
      await served.request("nobody-dev.localhost");
      // Output is read asynchronously: give a line that would be printed time to arrive.
      await new Promise((r) => setTimeout(r, 500));
      expect(served.lines.filter((l) => / (GET|POST) \S+ \d{3} /.test(l))).toEqual([]);
    } finally {
      await served.stop();
    }
  });
});

describe("wharf server: JSON request log with rotation", () => {
  const temp = tempDataDir("wharf-reqlog-");
  let server: Server;
  beforeAll(async () => {
    server = await startServer(temp.dir, { env: { WHARF_REQUEST_LOG_BYTES: "4000" } });
    const deployed = await cli(temp.dir, ["deploy", "test/fixtures/echo-headers.ts"]);
    expect(deployed.code, deployed.output).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  it("writes one JSON line per request with its ids, app, function and container", async () => {
    const answer = await server.request("fixture-echo-headers.localhost", "/", { headers: { "x-request-id": "server-req-1" } });
    expect(answer.status).toBe(200);
    const file = join(temp.dir, "logs", "requests.jsonl");
    await expect.poll(() => (existsSync(file) ? readFileSync(file, "utf8") : ""), { timeout: 5_000 }).toContain("server-req-1");
    const line = readFileSync(file, "utf8").trim().split("\n").find((l) => l.includes("server-req-1")) ?? "";
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record).toMatchObject({ method: "GET", host: `fixture-echo-headers.localhost:${server.port}`, path: "/", status: 200, app: "fixture-echo", function: "headers", request_id: "server-req-1" });
    expect(record["container"]).toMatch(/^c\d+$/);
    expect(record["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(Date.parse(String(record["time"]))).toBeGreaterThan(Date.now() - 60_000);
  });

  it("rotates the file past its size cap", async () => {
    for (let i = 0; i < 40; i++) expect((await server.request("fixture-echo-headers.localhost", "/", { headers: { "x-request-id": `rot-${i}` } })).status).toBe(200);
    const dir = join(temp.dir, "logs");
    await expect.poll(() => readFileSync(join(dir, "requests.jsonl"), "utf8"), { timeout: 5_000 }).toContain("rot-39");
    const names = readdirSync(dir).sort();
    expect(names).toContain("requests.jsonl.1");
    for (const name of names) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(4000);
  });
});

describe("wharf serve --handoff: requests on handed-over connections are logged too", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/echo-headers.ts", { args: ["--handoff"] });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("gives each request on one kept-alive connection its ids and one log line", async () => {
    // One keep-alive connection: the first request hands it to the container, which serves the rest.
    const { Client } = await import("undici");
    const client = new Client(`http://127.0.0.1:${served.port}`);
    try {
      const ids = ["handed-1", "handed-2", "handed-3"];
      for (const id of ids) {
        const answer = await client.request({ path: `/?n=${id}`, method: "GET", headers: { host: `${HOST}:${served.port}`, "x-request-id": id } });
        expect(answer.statusCode).toBe(200);
        expect(answer.headers["x-request-id"]).toBe(id);
        const seen = (await answer.body.json()) as Record<string, string>;
        expect(seen["x-request-id"]).toBe(id);
        expect(seen["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      }
      for (const id of ids) {
        const line = await served.waitFor(new RegExp(`id=${id}$`));
        expect(line).toMatch(new RegExp(` GET ${HOST}:${served.port}/\\?n=${id} 200 [\\d.]+ms c\\d+ id=${id}$`));
      }
    } finally {
      await client.close();
    }
  });
});

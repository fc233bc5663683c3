/**
 * `wharf serve --handoff` (docs/handoff.md), with the real CLI and raw sockets: eligible
 * connections are handed to a container and hold one input slot while open; everything else
 * takes the normal path; the container applies the gateway's checks on every later request;
 * scaling, reloads and Ctrl-C keep their guarantees.
 */
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionStatus } from "../helpers/status.ts";
import { KeptAlive } from "../helpers/keep-alive.ts";
import { startServe, type Served } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const MARKER = "handoff-marker-dev.localhost";
const LOCKED = "handoff-locked-dev.localhost";
const ONE = "handoff-one-dev.localhost";

const get = (path: string, host = MARKER, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** The status page, over connections of its own (a kept-alive connection names one Host). */
let statusAgent = new Agent();
async function status(served: Served, name: string): Promise<FunctionStatus> {
  const answer = await request(`http://127.0.0.1:${served.port}/status`, { headers: { host: "wharf.localhost" }, dispatcher: statusAgent });
  const page = (await answer.body.json()) as { versions: { functions: FunctionStatus[] }[] };
  const fn = page.versions.at(-1)?.functions.find((f) => f.name === name);
  if (fn === undefined) throw new Error(`no function ${name} in the status page`);
  return fn;
}

describe("--handoff", () => {
  let served: Served;
  const open: KeptAlive[] = [];
  const connection = (): KeptAlive => {
    const conn = new KeptAlive(served.port);
    open.push(conn);
    return conn;
  };
  const markers = (path: string): string[] => served.lines.filter((l) => l.includes(`handoff-marker: received`) && l.includes(` ${path}`));
  /** A fresh request's marker: the container runs requests in arrival order, so earlier ones would show by now. */
  async function settle(tag: string): Promise<void> {
    const conn = connection();
    expect((await conn.send(get(`/after-${tag}`)))?.status).toBe(200);
    await served.waitFor(new RegExp(`handoff-marker: received GET /after-${tag}`));
    conn.close();
  }

  /** A first request whose answer comes from the container itself: its keep-alive is 5 s, the gateway's 65 s. */
  async function handedOff(conn: KeptAlive, path: string): Promise<void> {
    const answer = await conn.send(get(path));
    expect(answer?.status).toBe(200);
    expect(answer?.headers["keep-alive"]).toBe("timeout=5");
  }

  beforeAll(async () => {
    served = await startServe("test/fixtures/handoff.ts", { args: ["--handoff", "--max-body-mb", "1", "--headers-timeout-ms", "1000"] });
  });
  afterAll(async () => {
    for (const conn of open) conn.close();
    await served?.stop();
    await statusAgent.close();
    statusAgent = new Agent();
  });

  it("serves many keep-alive requests on one handed-off connection, which holds one input while open", async () => {
    const conn = connection();
    const pids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const answer = await conn.send(get(`/k${i}`, MARKER, "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nx-wharf-endpoint: nope\r\n"));
      expect(answer?.status).toBe(200);
      const body = JSON.parse(answer?.body ?? "{}") as { container: string };
      pids.add(body.container);
      expect(body).toMatchObject({ path: `/k${i}`, forwardedFor: "10.0.0.1, 127.0.0.1", forwardedProto: "http", forwardedHost: MARKER, endpoint: null });
    }
    expect(pids.size).toBe(1);
    // Idle between requests, yet one input: the connection is the container's.
    expect((await status(served, "marker")).inFlight).toBe(1);
    conn.close();
    await expect.poll(async () => (await status(served, "marker")).inFlight, { timeout: 5_000 }).toBe(0);
  });

  it("never hands off a protected endpoint: 401 without credentials, from the gateway", async () => {
    const conn = connection();
    const answer = await conn.send(get("/", LOCKED));
    expect(answer?.status).toBe(401);
    expect(answer?.body).toMatch(/^wharf: /);
    expect((await status(served, "locked")).inFlight).toBe(0);
    expect(served.lines.some((l) => l.includes("handoff-marker: locked reached"))).toBe(false);
    conn.close();
  });

  it("serves a first request with a body on the normal path (the connection stays with the gateway)", async () => {
    const conn = connection();
    const answer = await conn.send(`POST /body HTTP/1.1\r\nHost: ${MARKER}\r\nContent-Length: 5\r\n\r\nhello`);
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer?.body ?? "{}")).toMatchObject({ path: "/body", bytes: 5 });
    expect(answer?.headers["keep-alive"]).toBe("timeout=65"); // the gateway's http.Server answered
    expect((await status(served, "marker")).inFlight).toBe(0);
    conn.close();
  });

  it("answers 421 when a handed-off connection names another Host, and closes it", async () => {
    const conn = connection();
    await handedOff(conn, "/before-switch");
    const answer = await conn.send(get("/switched", ONE));
    expect(answer?.status).toBe(421);
    expect(answer?.body).toMatch(/^wharf: this connection was handed to marker .*new connection/);
    await conn.untilClosed();
    await settle("switch");
    expect(markers("/switched")).toEqual([]);
  });

  it("refuses a smuggling attempt (CL + TE) on a second request with 400; nothing of it reaches the handler", async () => {
    const conn = connection();
    await handedOff(conn, "/before-smuggle");
    const attack = `POST /attack HTTP/1.1\r\nHost: ${MARKER}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${MARKER}\r\n\r\n`;
    const answer = await conn.send(attack);
    expect(answer?.status).toBe(400);
    expect(answer?.body).toMatch(/^wharf: .*(Transfer-Encoding|Content-Length)/);
    await conn.untilClosed();
    await settle("smuggle");
    expect(markers("/attack")).toEqual([]);
    expect(markers("/smuggled")).toEqual([]);
  });

  it("answers 431 to headers over the limit on a second request", async () => {
    const conn = connection();
    await handedOff(conn, "/before-big");
    const answer = await conn.send(get("/big-headers", MARKER, `X-Big: ${"a".repeat(20_000)}\r\n`));
    expect(answer?.status).toBe(431);
    expect(answer?.body).toMatch(/^wharf: request headers are over the limit of 16 KiB/);
    await settle("big");
    expect(markers("/big-headers")).toEqual([]);
  });

  it("answers 413 to a chunked body over the limit on a handed-off connection", async () => {
    const conn = connection();
    await handedOff(conn, "/before-body");
    const chunk = "x".repeat(64 * 1024);
    const chunks = Array.from({ length: 32 }, () => `${(chunk.length).toString(16)}\r\n${chunk}\r\n`).join("");
    const answer = await conn.send(`POST /too-big HTTP/1.1\r\nHost: ${MARKER}\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    expect(answer?.status).toBe(413);
    expect(answer?.body).toMatch(/^wharf: request body is over the limit of 1 MiB/);
  });

  it("answers 504 when the handler outlives the function's timeout", async () => {
    const conn = connection();
    await handedOff(conn, "/before-slow");
    const answer = await conn.send(get("/slow?ms=6000"));
    expect(answer?.status).toBe(504);
    expect(answer?.body).toMatch(/^wharf: marker did not answer within its timeout of 2s/);
    await conn.untilClosed();
  });

  it("still scales up under concurrent connections, and down to zero once they close", async () => {
    const conns = [connection(), connection(), connection()];
    const answers = await Promise.all(conns.map((c) => c.send(get("/?ms=1500", ONE))));
    expect(answers.map((a) => a?.status)).toEqual([200, 200, 200]);
    const pids = new Set(answers.map((a) => (JSON.parse(a?.body ?? "{}") as { container: string }).container));
    expect(pids.size).toBeGreaterThan(1); // one input per container: never two at once in one
    for (const c of conns) c.close();
    await expect.poll(async () => (await status(served, "one")).containers, { timeout: 20_000, interval: 250 }).toBe(0);
    expect(served.lines.some((l) => /container \S+ of one stopping \(idle\)/.test(l))).toBe(true);
  });

  it("answers 408 when a first head is too slow, and on a handed-off connection when a later one is", async () => {
    const slowFirst = connection();
    const first = await slowFirst.send(`GET /slow-head HTTP/1.1\r\nHost: ${MARKER}\r\n`);
    expect(first?.status).toBe(408);
    expect(first?.body).toMatch(/^wharf: request headers not received within 1s/);
    const conn = connection();
    await handedOff(conn, "/before-slow-head");
    const later = await conn.send(`GET /slow-head-2 HTTP/1.1\r\nHost: ${MARKER}\r\n`);
    expect(later?.status).toBe(408);
    await settle("slow-head");
    expect(markers("/slow-head")).toEqual([]);
  });

  it("exits 0 on Ctrl-C with handed-off connections open", async () => {
    const conn = connection();
    await handedOff(conn, "/before-exit");
    expect((await status(served, "marker")).inFlight).toBe(1);
    expect(await served.stop("SIGINT")).toBe(0);
    await conn.untilClosed();
  });
});

// Reload under a keep-alive load with --handoff: test/e2e/reload-under-load.test.ts.

describe("wharf server --handoff", () => {
  const data = tempDataDir("wharf-handoff-server-");
  let server: Server;
  beforeAll(async () => {
    server = await startServer(data.dir, { args: ["--handoff"] });
    const deployed = await cli(data.dir, ["deploy", "test/fixtures/handoff.ts"]);
    expect(deployed.code, deployed.output).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it("hands connections to the deployed app's containers", async () => {
    const conn = new KeptAlive(server.port);
    try {
      for (let i = 0; i < 5; i++) {
        const answer = await conn.send(get(`/s${i}`, "handoff-marker.localhost"));
        expect(answer?.status).toBe(200);
        // The container's own keep-alive (5 s), not the gateway's (65 s): the container answered directly.
        expect(answer?.headers["keep-alive"]).toBe("timeout=5");
      }
      const locked = await conn.send(get("/", "handoff-locked.localhost"));
      expect(locked?.status).toBe(421);
    } finally {
      conn.close();
    }
    expect(await server.stop()).toBe(0);
  });
});

describe("--handoff: a WebSocket upgrade on a handed-off connection", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/ws-apps.ts", { args: ["--handoff"] });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("is checked, then served by the container as an upgrade from the gateway would be", async () => {
    const host = "ws-apps-hono-dev.localhost";
    const conn = new KeptAlive(served.port);
    try {
      const first = await conn.send(get("/", host));
      expect(first?.status).toBe(200);
      expect(first?.headers["keep-alive"]).toBe("timeout=5");
      const key = Buffer.from("0123456789abcdef").toString("base64");
      const upgrade = await conn.send(get("/room/lobby", host, `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n`));
      expect(upgrade?.status).toBe(101);
      expect(upgrade?.headers["upgrade"]?.toLowerCase()).toBe("websocket");
    } finally {
      conn.close();
    }
  });
});

/**
 * The caps on open client connections (docs/edge.md, "Connections"), on raw sockets against
 * `wharf serve` in both gateway modes: past `--max-connections` (in all) or
 * `--max-connections-per-ip` (for one address), the oldest idle connection in that scope is
 * closed; when every one is busy, the new connection gets 503 and nothing it sends reaches an app.
 * Another client IP is another loopback address (`127.0.0.2`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeptAlive } from "../helpers/keep-alive.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { startServe, type Served } from "../helpers/serve.ts";

const OPEN = "hostile-hostile-open-dev.localhost";
const OTHER_IP = "127.0.0.2";

describe.each([
  ["the proxy path", [] as string[]],
  ["--handoff", ["--handoff"]],
])("connection caps, %s", (_mode, flags) => {
  const servers: Served[] = [];
  let conns: KeptAlive[] = [];
  afterEach(() => {
    for (const c of conns) c.close();
    conns = [];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  async function serve(capFlags: string[]): Promise<Served> {
    const served = await startServe("test/fixtures/hostile-client.ts", { args: [...flags, ...capFlags] });
    servers.push(served);
    return served;
  }
  const kept = (served: Served, localAddress?: string): KeptAlive => {
    const conn = new KeptAlive(served.port, localAddress);
    conns.push(conn);
    return conn;
  };
  /** A connection left idle after one answered request (a host with no endpoint: the gateway's own 404, in both modes). */
  async function idle(served: Served, localAddress?: string): Promise<KeptAlive> {
    const conn = kept(served, localAddress);
    expect((await conn.send(`GET /idle HTTP/1.1\r\nHost: nowhere.localhost\r\n\r\n`))?.status).toBe(404);
    return conn;
  }
  /**
   * A connection with a request under way: its head is answered `100 Continue` (the gateway has
   * routed it), its body not sent yet. `finish()` sends the body and resolves with the answer.
   */
  async function busy(served: Served, tag: string, localAddress?: string): Promise<{ conn: KeptAlive; finish: () => Promise<number | undefined> }> {
    const conn = kept(served, localAddress);
    const interim = await conn.send(`POST /${tag} HTTP/1.1\r\nHost: ${OPEN}\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n`);
    expect(interim?.status).toBe(100);
    return { conn, finish: async () => (await conn.send("body"))?.status };
  }
  /** The app's markers for `tag`, once a later request's marker has shown (one container, arrival order). */
  async function reached(served: Served, tag: string): Promise<string[]> {
    const settle = `settle-${tag}`;
    expect(await rawRequest(served.port, `GET /${settle} HTTP/1.1\r\nHost: ${OPEN}\r\nConnection: close\r\n\r\n`)).toMatchObject({ status: 200 });
    await served.waitFor(new RegExp(`hostile: open GET /${settle} `));
    return served.lines.filter((l) => l.includes("hostile:") && l.includes(`/${tag}`) && !l.includes(settle));
  }

  describe("--max-connections (in all)", () => {
    let served: Served;
    beforeAll(async () => {
      served = await serve(["--max-connections", "3"]);
    });

    it("closes the oldest idle connection for a new one, and a normal request still answers", async () => {
      const [a, b, c] = [await idle(served), await idle(served), await idle(served)];
      const d = await idle(served);
      await a.untilClosed();
      expect([b.closed, c.closed, d.closed]).toEqual([false, false, false]);
      const normal = await rawRequest(served.port, `GET /normal-global HTTP/1.1\r\nHost: ${OPEN}\r\nConnection: close\r\n\r\n`);
      expect(normal).toMatchObject({ status: 200 });
      await b.untilClosed(); // the next oldest made room for it
      expect([c.closed, d.closed]).toEqual([false, false]);
      // The survivors still serve requests.
      expect((await c.send(`GET /again HTTP/1.1\r\nHost: nowhere.localhost\r\n\r\n`))?.status).toBe(404);
    });

    it("answers 503 with Retry-After when every connection is busy; nothing it sent reaches an app; the busy ones finish", async () => {
      const held = [await busy(served, "busy-g1"), await busy(served, "busy-g2"), await busy(served, "busy-g3")];
      const refused = await rawRequest(served.port, `GET /refused-global HTTP/1.1\r\nHost: ${OPEN}\r\n\r\n`);
      expect(refused).toMatchObject({ status: 503 });
      if (refused.status !== undefined) {
        expect(refused.headers["retry-after"]).toBe("1");
        expect(refused.body).toMatch(/^wharf: too many open connections in all, none idle; retry later/);
      }
      expect(held.map((h) => h.conn.closed)).toEqual([false, false, false]);
      expect(await Promise.all(held.map((h) => h.finish()))).toEqual([200, 200, 200]);
      expect(await reached(served, "refused-global")).toEqual([]);
    });
  });

  describe("--max-connections-per-ip", () => {
    let served: Served;
    beforeAll(async () => {
      served = await serve(["--max-connections-per-ip", "2"]);
    });

    it("closes the oldest idle connection of the same IP, not an older one of another IP", async () => {
      const other = await idle(served, OTHER_IP);
      const [a, b] = [await idle(served), await idle(served)];
      const c = await idle(served);
      await a.untilClosed();
      expect([other.closed, b.closed, c.closed]).toEqual([false, false, false]);
      expect((await other.send(`GET /again HTTP/1.1\r\nHost: nowhere.localhost\r\n\r\n`))?.status).toBe(404);
    });

    it("answers 503 to an IP whose connections are all busy, while another IP is served", async () => {
      const held = [await busy(served, "busy-p1"), await busy(served, "busy-p2")];
      const refused = await rawRequest(served.port, `GET /refused-ip HTTP/1.1\r\nHost: ${OPEN}\r\n\r\n`);
      expect(refused).toMatchObject({ status: 503 });
      if (refused.status !== undefined) expect(refused.body).toMatch(/^wharf: too many open connections from 127\.0\.0\.1, none idle/);
      const other = kept(served, OTHER_IP);
      expect((await other.send(`GET /normal-ip HTTP/1.1\r\nHost: ${OPEN}\r\n\r\n`))?.status).toBe(200);
      expect(held.map((h) => h.conn.closed)).toEqual([false, false]);
      expect(await Promise.all(held.map((h) => h.finish()))).toEqual([200, 200]);
      expect(await reached(served, "refused-ip")).toEqual([]);
    });
  });
});

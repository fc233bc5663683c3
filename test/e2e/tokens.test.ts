/**
 * Proxy-auth tokens end to end (docs/reference.md §3): `wharf token create|list|revoke` against a server, and
 * the gateway checking them, both in `wharf server` and in `wharf serve --data DIR` (which reads
 * the same data dir's tokens). The fixture prints a marker per request it receives: refused
 * requests must never reach it, admitted ones must, and credentials must never be forwarded.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, count, startServer, tempDataDir, type Server } from "../helpers/server.ts";
import { startServe, type Answer, type RequestInit, type Served } from "../helpers/serve.ts";

const MISSING = "wharf: missing credentials for proxy authorization\n";
const INVALID = "wharf: invalid credentials for proxy authorization\n";
const PROTECTED_MARKER = /vault-marker: (secret|api) reached/;
const OPEN_MARKER = /vault-marker: open reached/;
const PREFLIGHT = { origin: "http://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" };

interface Target {
  request(host: string, path?: string, init?: RequestInit): Promise<Answer>;
  lines: string[];
  suffix: string;
}

const modes: [string, (data: string, server: Server) => Promise<{ target: Target; stop(): Promise<unknown> }>][] = [
  [
    "wharf server",
    async (data, server) => {
      const deployed = await cli(data, ["deploy", "test/fixtures/token-vault.ts"]);
      expect(deployed.code, deployed.output).toBe(0);
      return { target: { request: server.request, lines: server.lines, suffix: "" }, stop: async () => {} };
    },
  ],
  [
    "wharf serve --data",
    async (data) => {
      const served: Served = await startServe("test/fixtures/token-vault.ts", { args: ["--data", data] });
      return { target: { request: served.request, lines: served.lines, suffix: "-dev" }, stop: () => served.stop() };
    },
  ],
];

describe.each(modes)("proxy-auth tokens with %s", (mode, start) => {
  const data = tempDataDir("wharf-tokens-");
  let server: Server;
  let target: Target;
  let stopTarget: () => Promise<unknown>;
  const keys: { id: string; secret: string }[] = [];
  const host = (fn: string): string => `token-vault-vault-${fn}${target.suffix}.localhost`;
  const modalHeaders = (t: { id: string; secret: string }) => ({ "modal-key": t.id, "modal-secret": t.secret });

  /** Requests the open endpoint and waits for its marker: every earlier marker is then in `lines`. */
  const sync = async (): Promise<void> => {
    const before = count(target.lines, OPEN_MARKER);
    expect((await target.request(host("open"))).status).toBe(200);
    await expect.poll(() => count(target.lines, OPEN_MARKER), { timeout: 5000 }).toBeGreaterThan(before);
  };
  const post = (headers: Record<string, string>) => target.request(host("secret"), "/", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"n":1}' });

  beforeAll(async () => {
    server = await startServer(data.dir);
    ({ target, stop: stopTarget } = await start(data.dir, server));
  }, 90_000);
  afterAll(async () => {
    await stopTarget?.();
    await server?.stop();
    data.remove();
  });

  it("creates tokens, printing each secret once and listing them without it", async () => {
    for (const name of ["ci", "spare"]) {
      const created = await cli(data.dir, ["token", "create", "--name", name]);
      expect(created.code, created.output).toBe(0);
      const id = /Modal-Key: (wk-[A-Za-z0-9_-]+)/.exec(created.output)?.[1] ?? "";
      const secret = /Modal-Secret: (ws-[A-Za-z0-9_-]+)/.exec(created.output)?.[1] ?? "";
      expect(Buffer.from(id.slice(3), "base64url").length).toBeGreaterThanOrEqual(16);
      expect(Buffer.from(secret.slice(3), "base64url").length).toBeGreaterThanOrEqual(16);
      expect(created.output.split(secret)).toHaveLength(2);
      keys.push({ id, secret });
    }
    const list = await cli(data.dir, ["token", "list"]);
    expect(list.code).toBe(0);
    expect(list.output).toMatch(new RegExp(`^${keys[0]?.id}\\s+ci\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+-$`, "m"));
    expect(list.output).toContain(keys[1]?.id);
    expect(list.output).not.toContain("ws-");
  });

  it("refuses missing, wrong and malformed credentials before any container sees them", async () => {
    const [a, b] = keys as [{ id: string; secret: string }, { id: string; secret: string }];
    const wrong: Record<string, string>[] = [
      { "modal-key": a.id, "modal-secret": `ws-${randomBytes(32).toString("base64url")}` },
      { "modal-key": `wk-${randomBytes(16).toString("base64url")}`, "modal-secret": a.secret },
      { "modal-key": a.id, "modal-secret": b.secret },
      { authorization: `Bearer ${a.id}.ws-${randomBytes(32).toString("base64url")}` },
      { "modal-key": a.id },
      { "modal-secret": a.secret },
      { "modal-key": a.id.slice(3), "modal-secret": a.secret },
      { authorization: `Bearer ${a.id}` },
      { authorization: `Bearer ${a.id}.${a.secret.slice(3)}` },
    ];
    const missing = [await post({}), await target.request(host("api")), await target.request(host("api"), "/deep/path")];
    for (const answer of missing) expect([answer.status, answer.text]).toEqual([401, MISSING]);
    for (const headers of wrong) {
      for (const answer of [await post(headers), await target.request(host("api"), "/", { headers })]) {
        expect([answer.status, answer.text, answer.headers["content-type"]], JSON.stringify(headers)).toEqual([401, INVALID, "text/plain; charset=utf-8"]);
      }
    }
    await sync();
    expect(count(target.lines, PROTECTED_MARKER)).toBe(0);
  });

  it("admits a valid token in both header forms and never forwards the credentials", async () => {
    const a = keys[0] ?? { id: "", secret: "" };
    const posted = await post(modalHeaders(a));
    expect([posted.status, posted.json()]).toEqual([200, { received: { n: 1 } }]);
    for (const headers of [modalHeaders(a), { authorization: `Bearer ${a.id}.${a.secret}` }]) {
      const answer = await target.request(host("api"), "/", { headers: { ...headers, "x-probe": "kept" } });
      expect(answer.status).toBe(200);
      const seen = answer.json<{ headers: Record<string, string> }>().headers;
      expect(seen["x-probe"]).toBe("kept");
      expect(Object.keys(seen)).not.toContain("modal-key");
      expect(Object.keys(seen)).not.toContain("modal-secret");
      expect(Object.keys(seen)).not.toContain("authorization");
      expect(JSON.stringify(seen)).not.toContain(a.secret);
    }
    await sync();
    expect(count(target.lines, PROTECTED_MARKER)).toBe(3);
  });

  it("answers a CORS preflight of a protected fastapiEndpoint without credentials, and nothing else", async () => {
    const preflight = await target.request(host("secret"), "/", { method: "OPTIONS", headers: PREFLIGHT });
    expect(preflight.status).toBeGreaterThanOrEqual(200);
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://app.example");
    const real = await post({ origin: "http://app.example" });
    expect([real.status, real.text]).toEqual([401, MISSING]);
    const asgiPreflight = await target.request(host("api"), "/", { method: "OPTIONS", headers: PREFLIGHT });
    expect([asgiPreflight.status, asgiPreflight.text]).toEqual([401, MISSING]);
    await sync();
    expect(count(target.lines, PROTECTED_MARKER)).toBe(3);
  });

  it(`revokes a token within a second (${mode})`, async () => {
    const [a, b] = keys as [{ id: string; secret: string }, { id: string; secret: string }];
    const revoked = await cli(data.dir, ["token", "revoke", a.id]);
    expect(revoked.code, revoked.output).toBe(0);
    const since = Date.now();
    if (mode === "wharf server") expect((await post(modalHeaders(a))).status).toBe(401);
    await expect.poll(async () => (await post(modalHeaders(a))).status, { timeout: 1000, interval: 50 }).toBe(401);
    expect(Date.now() - since).toBeLessThanOrEqual(1100);
    // `serve` may admit the token for up to 500 ms after the revoke (its re-read interval): count from here.
    await sync();
    const before = count(target.lines, PROTECTED_MARKER);
    expect((await post({ authorization: `Bearer ${a.id}.${a.secret}` })).text).toBe(INVALID);
    expect((await target.request(host("api"), "/", { headers: modalHeaders(a) })).text).toBe(INVALID);
    expect((await post(modalHeaders(b))).status).toBe(200);
    await sync();
    expect(count(target.lines, PROTECTED_MARKER)).toBe(before + 1);

    const list = await cli(data.dir, ["token", "list"]);
    expect(list.output).toMatch(new RegExp(`^${a.id}\\s+ci\\s+\\S+ \\S+\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`, "m"));
    expect(list.output).toMatch(new RegExp(`^${b.id}\\s+spare\\s+\\S+ \\S+\\s+-$`, "m"));
  });

  it("refuses bad token commands with exit 2 (usage) or 1 (unknown token)", async () => {
    expect((await cli(data.dir, ["token", "revoke", "not-a-token"])).code).toBe(2);
    expect((await cli(data.dir, ["token", "frobnicate"])).code).toBe(2);
    const unknown = await cli(data.dir, ["token", "revoke", `wk-${randomBytes(16).toString("base64url")}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.output.trim().split("\n")).toHaveLength(1);
    expect(unknown.output).toMatch(/^error: no token wk-\S+ on this server: see wharf token list$/m);
  });
});

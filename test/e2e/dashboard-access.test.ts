/**
 * Access to the reserved host `wharf.{domain}` on `wharf server`, tried with raw requests as an
 * outsider would: without the admin token nothing is readable (dashboard data, live feed, logs,
 * /status); the sign-in takes the token only from a same-origin form and answers with an
 * HttpOnly, SameSite=Strict session cookie; no token secret ever appears in what is served.
 * On `wharf serve` (loopback, development) the same pages are open.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest, type RawAnswer } from "../helpers/raw-http.ts";
import { startServe } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const PROTECTED = ["/status", "/api/state", "/events", "/index.html", "/nothing-here"];

describe("the reserved host on wharf server", () => {
  const temp = tempDataDir("wharf-access-");
  let server: Server;
  let adminToken = "";
  let proxySecret = "";
  let host = "";

  const get = async (path: string, headers: Record<string, string> = {}): Promise<RawAnswer> => {
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    const answer = await rawRequest(server.port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`, { giveUpMs: path === "/events" ? 1500 : 5000 });
    if (answer.status === undefined) throw new Error(`no answer to GET ${path}: ${answer.ending} ${answer.received.slice(0, 200)}`);
    return answer;
  };
  const post = async (path: string, body: string, headers: Record<string, string>): Promise<RawAnswer> => {
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    const answer = await rawRequest(server.port, `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    if (answer.status === undefined) throw new Error(`no answer to POST ${path}: ${answer.ending}`);
    return answer;
  };
  const form = (token: string): string => new URLSearchParams({ token }).toString();
  const signIn = async (): Promise<string> => {
    const answer = await post("/login", form(adminToken), { origin: `http://${host}`, "content-type": "application/x-www-form-urlencoded" });
    expect(answer.status).toBe(303);
    return /^wharf_session=([^;]+)/.exec(answer.headers["set-cookie"] ?? "")?.[1] ?? "";
  };

  beforeAll(async () => {
    server = await startServer(temp.dir);
    host = `wharf.localhost:${server.port}`;
    adminToken = (JSON.parse(readFileSync(join(temp.dir, "admin.json"), "utf8")) as { token: string }).token;
    const deployed = await cli(temp.dir, ["deploy", "test/fixtures/dashboard.ts"]);
    expect(deployed.code, deployed.output).toBe(0);
    const created = await cli(temp.dir, ["token", "create", "--name", "ci"]);
    proxySecret = /ws-[A-Za-z0-9_-]+/.exec(created.output)?.[0] ?? "";
    expect(proxySecret).not.toBe("");
    // A log line the dashboard would show.
    expect((await server.request("dash-hello.localhost")).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  it("reads nothing without the token: the dashboard sends to the sign-in, the rest is 401", async () => {
    const page = await get("/");
    expect(page.status).toBe(303);
    expect(page.headers["location"]).toBe("/login");
    for (const path of PROTECTED) {
      const answer = await get(path);
      expect(answer.status, path).toBe(401);
      expect(answer.body).toMatch(/^wharf: sign in at \/login/);
      expect(answer.body).not.toContain("hello called");
      expect(answer.body).not.toContain("dash");
    }
    // Forged, stale or wrong credentials change nothing.
    for (const headers of [{ cookie: "wharf_session=forged" }, { authorization: "Bearer wa-wrong" }, { authorization: `Bearer ${proxySecret}` }, { cookie: `wharf_session=${adminToken}` }]) {
      expect((await get("/status", headers)).status).toBe(401);
    }
  });

  it("serves the sign-in form and static assets openly, with nothing secret in them", async () => {
    const login = await get("/login");
    expect(login.status).toBe(200);
    expect(login.body).toContain('<form method="post" action="/login">');
    expect((await get("/assets/app.js")).status).toBe(200);
    for (const text of [login.body, (await get("/assets/app.js")).body]) {
      expect(text).not.toContain(adminToken);
      expect(text).not.toContain(proxySecret);
    }
  });

  it("accepts the token only from a same-origin form", async () => {
    const type = { "content-type": "application/x-www-form-urlencoded" };
    const attempts: [Record<string, string>, string, number][] = [
      [type, form(adminToken), 403], // no Origin: a cross-site form or script
      [{ ...type, origin: "http://evil.localhost:1" }, form(adminToken), 403],
      [{ ...type, origin: `http://dash-hello.localhost:${server.port}` }, form(adminToken), 403], // an app's page
      [{ ...type, origin: "null" }, form(adminToken), 403],
      [{ ...type, origin: `https://${host}` }, form(adminToken), 403],
      [{ origin: `http://${host}`, "content-type": "application/json" }, JSON.stringify({ token: adminToken }), 415],
      [{ ...type, origin: `http://${host}` }, form("wa-not-the-token"), 401],
      [{ ...type, origin: `http://${host}` }, form(""), 401],
    ];
    for (const [headers, body, status] of attempts) {
      const answer = await post("/login", body, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(status);
      expect(answer.headers["set-cookie"]).toBeUndefined();
    }
  });

  it("signs in with the token: an HttpOnly, SameSite=Strict cookie that is not the token, and everything readable", async () => {
    const answer = await post("/login", form(adminToken), { origin: `http://${host}`, "content-type": "application/x-www-form-urlencoded" });
    expect(answer.status).toBe(303);
    expect(answer.headers["location"]).toBe("/");
    const setCookie = answer.headers["set-cookie"] ?? "";
    expect(setCookie).toMatch(/^wharf_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain(adminToken);
    const session = /^wharf_session=([^;]+)/.exec(setCookie)?.[1] ?? "";
    const cookie = { cookie: `wharf_session=${session}` };

    expect((await get("/", cookie)).body).toContain("<title>Wharf</title>");
    const state = await get("/api/state", cookie);
    expect(state.status).toBe(200);
    expect(state.body).toContain("hello called");
    expect(state.body).toContain('"history":[{"app":"dash","number":1');
    const status = await get("/status", cookie);
    expect(status.status).toBe(200);
    expect(status.body).toContain('"app":"dash"');
    const feed = await rawRequest(server.port, `GET /events HTTP/1.1\r\nHost: ${host}\r\nCookie: wharf_session=${session}\r\n\r\n`, { giveUpMs: 1500 });
    const received = feed.status === undefined ? feed.received : feed.body;
    expect(received).toContain("event: snapshot");
    for (const text of [state.body, status.body, received]) {
      expect(text).not.toContain(adminToken);
      expect(text).not.toContain(proxySecret);
    }
  });

  it("takes the admin token as a Bearer header (scripts)", async () => {
    const status = await get("/status", { authorization: `Bearer ${adminToken}` });
    expect(status.status).toBe(200);
    expect(status.body).toContain('"app":"dash"');
  });

  it("signs out only from its own origin, and the session is then dead", async () => {
    const session = await signIn();
    const cookie = `wharf_session=${session}`;
    expect((await post("/logout", "", { cookie, origin: "http://evil.localhost:1" })).status).toBe(403);
    expect((await get("/status", { cookie })).status).toBe(200);
    const out = await post("/logout", "", { cookie, origin: `http://${host}` });
    expect(out.status).toBe(303);
    expect(out.headers["set-cookie"]).toContain("Max-Age=0");
    expect((await get("/status", { cookie })).status).toBe(401);
  });
});

describe("the reserved host on wharf serve", () => {
  it("is open on loopback: dashboard, state and status", async () => {
    const served = await startServe("test/fixtures/dashboard.ts", { args: ["--quiet"] });
    try {
      expect((await served.request("wharf.localhost", "/")).text).toContain("<title>Wharf</title>");
      expect((await served.request("wharf.localhost", "/status")).json<{ versions: { app: string }[] }>().versions[0]?.app).toBe("dash");
      expect((await served.request("wharf.localhost", "/api/state")).status).toBe(200);
      expect((await served.request("wharf.localhost", "/login")).status).toBe(404);
    } finally {
      await served.stop();
    }
  });
});

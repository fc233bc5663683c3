import { describe, expect, it } from "vitest";
import { WharfError } from "../sdk/errors.ts";
import { createAdminApi, type AdminTarget } from "./admin-api.ts";
import { AppLogs } from "./app-logs.ts";

const TOKEN = `wa-${"x".repeat(43)}`;

function fakeTarget() {
  const calls: unknown[][] = [];
  const logs = new AppLogs();
  const target: AdminTarget = {
    deploy: async (bundle, name) => {
      calls.push(["deploy", bundle.toString(), name]);
      return { app: name ?? "demo", version: 1, endpoints: [{ name: "hello", url: "http://demo-hello.localhost:8000", customDomains: [] }] };
    },
    rollback: async (app, version) => {
      calls.push(["rollback", app, version]);
      throw new WharfError("VERSION_NOT_FOUND", `app ${app} has no version ${version}`);
    },
    stop: async (app) => void calls.push(["stop", app]),
    list: () => [],
    historyOf: (app) => {
      if (app !== "demo") throw new WharfError("APP_NOT_FOUND", `no app named ${app}`);
      return [];
    },
    logs,
    createToken: (name) => ({ id: "wk-1", secret: "ws-1", name, created: 1 }),
    listTokens: () => [],
    revokeToken: (id) => id === "wk-1",
    domains: {
      addCertificate: (name, cert, key) => {
        calls.push(["addCertificate", name, cert, key]);
        return { name, source: "cert", expires: 2, status: "active", issuer: "ca", names: [name], error: null };
      },
      addAcme: async (name, directory, email) => {
        calls.push(["addAcme", name, directory, email]);
        return { name, source: "acme", expires: 2, status: "active", issuer: "ca", names: [name], error: null };
      },
      list: () => [],
      remove: (name) => name === "api.example.test",
    },
  };
  return { target, calls, logs, api: createAdminApi(target, TOKEN) };
}

const call = (api: (r: Request) => Promise<Response>, method: string, path: string, body?: string, token: string | null = TOKEN) =>
  api(new Request(`http://admin${path}`, { method, ...(body === undefined ? {} : { body }), headers: token === null ? {} : { authorization: `Bearer ${token}` } }));

describe("admin API", () => {
  it.each([
    ["no header", null],
    ["a wrong token", "wa-wrong"],
    ["a token one character short", TOKEN.slice(0, -1)],
  ])("refuses %s with 401 before doing anything", async (_name, token) => {
    const { api, calls } = fakeTarget();
    const answer = await call(api, "POST", "/v1/apps", JSON.stringify({ bundle: "x" }), token);
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    expect(calls).toEqual([]);
  });

  it("deploys the uploaded bundle under the given name", async () => {
    const { api, calls } = fakeTarget();
    const answer = await call(api, "POST", "/v1/apps", JSON.stringify({ bundle: "export {};", name: "other" }));
    expect(answer.status).toBe(201);
    expect(calls).toEqual([["deploy", "export {};", "other"]]);
  });

  it.each([
    ["not JSON", "{", /the request body is not JSON/],
    ["a missing bundle", "{}", /invalid request body: bundle: /],
    ["an unknown field", JSON.stringify({ bundle: "x", extra: 1 }), /invalid request body: .*extra/],
    ["a bad app name", JSON.stringify({ bundle: "x", name: "Bad_Name" }), /name: use 1\.\.40 characters of \[a-z0-9-\]/],
  ])("refuses a deploy body with %s (400, one message)", async (_name, body, message) => {
    const { api, calls } = fakeTarget();
    const answer = await call(api, "POST", "/v1/apps", body);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(message);
    expect(calls).toEqual([]);
  });

  it("maps user errors to 404/400 and unknown routes to 404", async () => {
    const { api } = fakeTarget();
    expect((await call(api, "POST", "/v1/apps/demo/rollback", JSON.stringify({ version: 9 }))).status).toBe(404);
    expect((await call(api, "POST", "/v1/apps/demo/rollback", JSON.stringify({ version: -1 }))).status).toBe(400);
    expect((await call(api, "GET", "/v1/apps/nope/history")).status).toBe(404);
    expect((await call(api, "POST", "/v1/tokens/wk-2/revoke", "{}")).status).toBe(404);
    expect((await call(api, "POST", "/v1/tokens/wk-1/revoke", "")).status).toBe(200);
    expect((await call(api, "DELETE", "/v1/apps")).status).toBe(404);
  });

  it("streams an app's logs: the backlog, then new lines while following", async () => {
    const { api, logs } = fakeTarget();
    const t = Date.parse("2026-12-02T18:00:00.000Z");
    logs.append("demo", "hello", "old", t);
    logs.append("demo", "other", "elsewhere", t + 1000);
    expect(await (await call(api, "GET", "/v1/apps/demo/logs")).text()).toBe("2026-12-02T18:00:00.000Z [hello] old\n2026-12-02T18:00:01.000Z [other] elsewhere\n");
    expect(await (await call(api, "GET", "/v1/apps/demo/logs?function=other")).text()).toBe("2026-12-02T18:00:01.000Z [other] elsewhere\n");
    expect(await (await call(api, "GET", `/v1/apps/demo/logs?since=${t + 500}`)).text()).toBe("2026-12-02T18:00:01.000Z [other] elsewhere\n");
    expect((await call(api, "GET", "/v1/apps/demo/logs?since=soon")).status).toBe(400);
    const answer = await call(api, "GET", "/v1/apps/demo/logs?follow=1&function=hello");
    const reader = answer.body?.getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader?.read())?.value)).toBe("2026-12-02T18:00:00.000Z [hello] old\n");
    logs.append("demo", "other", "not this one", t + 2000);
    logs.append("demo", "hello", "new", t + 3000);
    expect(decoder.decode((await reader?.read())?.value)).toBe("2026-12-02T18:00:03.000Z [hello] new\n");
    await reader?.cancel();
  });

  it("adds domains from a PEM pair or an ACME order, refusing bodies that are neither", async () => {
    const { api, calls } = fakeTarget();
    const pair = await call(api, "POST", "/v1/domains", JSON.stringify({ name: "api.example.test", cert: "C", key: "K" }));
    expect(pair.status).toBe(201);
    const ordered = await call(api, "POST", "/v1/domains", JSON.stringify({ name: "a.example.test", acme: { directory: "https://ca.test/dir" } }));
    expect(ordered.status).toBe(201);
    expect(calls).toEqual([
      ["addCertificate", "api.example.test", "C", "K"],
      ["addAcme", "a.example.test", "https://ca.test/dir", ""],
    ]);
    for (const body of [{ name: "x.test" }, { name: "x.test", cert: "C" }, { name: "x.test", cert: "C", key: "K", acme: { directory: "https://ca.test/dir" } }, { name: "x.test", acme: { directory: "not a url" } }]) {
      expect((await call(api, "POST", "/v1/domains", JSON.stringify(body))).status, JSON.stringify(body)).toBe(400);
    }
    expect(calls).toHaveLength(2);
    expect((await call(api, "POST", "/v1/domains/api.example.test/remove", "{}")).status).toBe(200);
    expect((await call(api, "POST", "/v1/domains/other.example.test/remove", "{}")).status).toBe(404);
  });
});

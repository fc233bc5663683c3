import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Answer, type Served } from "../helpers/serve.ts";

const MISSING = "wharf: missing credentials for proxy authorization\n";
const INVALID = "wharf: invalid credentials for proxy authorization\n";
const JSON_HEADERS = { "content-type": "application/json" };
const PREFLIGHT = { origin: "http://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" };

// These credentials belong to no token of the data dir, so every case is a refusal; valid,
// revoked and stripped credentials are covered by test/e2e/tokens.test.ts.
const BAD_CREDENTIALS: [string, Record<string, string>][] = [
  ["Modal-Key + Modal-Secret", { "modal-key": "wk-x", "modal-secret": "ws-y" }],
  ["Authorization: Bearer wk-….ws-…", { authorization: "Bearer wk-x.ws-y" }],
  ["only Modal-Key", { "modal-key": "wk-x" }],
  ["only Modal-Secret", { "modal-secret": "ws-y" }],
];

function expectRefused(answer: Answer, body: string): void {
  expect(answer.status).toBe(401);
  expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
  expect(answer.text).toBe(body);
}

describe("wharf serve examples/proxy-auth.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/proxy-auth.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const SECURE = "proxy-auth-secureendpoint-dev.localhost";
  const SECURE_API = "proxy-auth-secureapi-dev.localhost";
  const OPEN = "proxy-auth-open-dev.localhost";

  it("refuses a protected endpoint without credentials", async () => {
    expectRefused(await served.request(SECURE, "/", { method: "POST", headers: JSON_HEADERS, body: '{"a":1}' }), MISSING);
  });

  it.each(BAD_CREDENTIALS)("refuses a protected endpoint with bad credentials: %s", async (_name, credentials) => {
    const answer = await served.request(SECURE, "/", { method: "POST", headers: { ...JSON_HEADERS, ...credentials }, body: '{"a":1}' });
    expectRefused(answer, INVALID);
  });

  it("serves the open endpoint without credentials", async () => {
    const answer = await served.request(OPEN);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ status: "public" });
  });

  it("protects a whole app too, on every path", async () => {
    expectRefused(await served.request(SECURE_API), MISSING);
    expectRefused(await served.request(SECURE_API, "/headers"), MISSING);
    expectRefused(await served.request(SECURE_API, "/headers", { headers: { "modal-key": "wk-x", "modal-secret": "ws-y" } }), INVALID);
  });

  it("answers a CORS preflight of a protected fastapiEndpoint without credentials, but not the real request", async () => {
    const preflight = await served.request(SECURE, "/", { method: "OPTIONS", headers: PREFLIGHT });
    expect(preflight.status).toBeGreaterThanOrEqual(200);
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://app.example");
    expect(preflight.headers["access-control-allow-methods"]).toMatch(/\bPOST\b/);

    const real = await served.request(SECURE, "/", { method: "POST", headers: { ...JSON_HEADERS, origin: "http://app.example" }, body: "{}" });
    expectRefused(real, MISSING);
  });
});

describe("wharf serve test/fixtures/token-vault.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/token-vault.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  it("refuses before the container is reached", async () => {
    const secret = "token-vault-vault-secret-dev.localhost";
    const api = "token-vault-vault-api-dev.localhost";
    expectRefused(await served.request(secret, "/", { method: "POST", headers: JSON_HEADERS, body: "{}" }), MISSING);
    expectRefused(await served.request(api, "/"), MISSING);
    for (const [, credentials] of BAD_CREDENTIALS) {
      expectRefused(await served.request(secret, "/", { method: "POST", headers: { ...JSON_HEADERS, ...credentials }, body: "{}" }), INVALID);
      expectRefused(await served.request(api, "/anything", { headers: credentials }), INVALID);
    }

    // The open method lives in the same container process (one stdout): once its marker is
    // printed, any marker a protected method had printed before it is in served.lines too.
    const open = await served.request("token-vault-vault-open-dev.localhost");
    expect(open.status).toBe(200);
    await served.waitFor(/vault-marker: open reached/);
    expect(served.lines.filter((line) => /vault-marker: (secret|api) reached/.test(line))).toEqual([]);
  });
});

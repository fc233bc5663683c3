/**
 * asgiApp end to end: the fetch-style apps of examples/asgi-*.ts served by the real CLI, every
 * path of an endpoint's host reaching the app its factory returned.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

const json = { "content-type": "application/json" };

describe("wharf serve examples/asgi-hono.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/asgi-hono.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const api = "asgi-hono-api-dev.localhost";

  it("prints both endpoints, myApi at its own label", async () => {
    expect(await served.waitFor(/web function api =>/)).toBe(`✓ web function api => http://asgi-hono-api-dev.localhost:${served.port}`);
    expect(await served.waitFor(/web function myApi =>/)).toBe(`✓ web function myApi => http://my-api-dev.localhost:${served.port}`);
  });

  it("answers GET / through the Hono app and its middleware", async () => {
    const answer = await served.request(api, "/");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ message: "Welcome" });
    expect(answer.headers["x-app"]).toBe("asgi-hono");
    expect(answer.headers["x-response-time"]).toMatch(/^\d+\.\dms$/);
  });

  it("passes a JSON body to POST /items", async () => {
    const answer = await served.request(api, "/items", { method: "POST", headers: json, body: JSON.stringify({ name: "rope", length: 30 }) });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ created: { name: "rope", length: 30 } });
  });

  it("routes path parameters", async () => {
    const answer = await served.request(api, "/items/7");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ id: "7" });
  });

  it("lets the app answer unknown paths (its own 404, with the middleware's header)", async () => {
    const answer = await served.request(api, "/no/such/path");
    expect(answer.status).toBe(404);
    expect(answer.json()).toEqual({ detail: "Not Found" });
    expect(answer.headers["x-app"]).toBe("asgi-hono");
  });

  it("serves myApi's routes at my-api-dev, with its CORS middleware", async () => {
    const root = await served.request("my-api-dev.localhost", "/", { headers: { origin: "http://elsewhere.test" } });
    expect(root.status).toBe(200);
    expect(root.json()).toEqual({ api: "my-api", version: "1.0" });
    expect(root.headers["access-control-allow-origin"]).toBe("*");
    const health = await served.request("my-api-dev.localhost", "/health");
    expect(health.status).toBe(200);
    expect(health.text).toBe("ok");
  });

  it("serves myApi at its custom domain too", async () => {
    const answer = await served.request("hono.example.com", "/health");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("ok");
  });
});

describe("wharf serve examples/asgi-itty.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/asgi-itty.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const router = "asgi-itty-router-dev.localhost";
  const bare = "asgi-itty-bare-dev.localhost";

  it("prints both endpoints", async () => {
    expect(await served.waitFor(/web function router =>/)).toBe(`✓ web function router => http://asgi-itty-router-dev.localhost:${served.port}`);
    expect(await served.waitFor(/web function bare =>/)).toBe(`✓ web function bare => http://asgi-itty-bare-dev.localhost:${served.port}`);
  });

  describe("the itty-router app", () => {
    it("answers GET / as JSON, with the finally-middleware's headers", async () => {
      const answer = await served.request(router, "/");
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ message: "Welcome" });
      expect(answer.headers["x-app"]).toBe("asgi-itty");
      expect(answer.headers["x-response-time"]).toMatch(/^\d+\.\dms$/);
    });

    it("routes path parameters", async () => {
      const hello = await served.request(router, "/hello/ada");
      expect(hello.status).toBe(200);
      expect(hello.text).toBe("Hello, ada!");
      expect(hello.headers["x-app"]).toBe("asgi-itty");
      const item = await served.request(router, "/items/7");
      expect(item.json()).toEqual({ id: "7" });
    });

    it("passes a JSON body to POST /items", async () => {
      const answer = await served.request(router, "/items", { method: "POST", headers: json, body: JSON.stringify({ name: "rope" }) });
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ created: { name: "rope" } });
    });

    it("answers unknown paths with itty's own 404, through the middleware", async () => {
      const answer = await served.request(router, "/no/such/path");
      expect(answer.status).toBe(404);
      expect(answer.json()).toEqual({ status: 404, error: "Not Found" });
      expect(answer.headers["x-app"]).toBe("asgi-itty");
    });
  });

  describe("the bare function app", () => {
    it("answers GET / with its wrapper's header", async () => {
      const answer = await served.request(bare, "/");
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ message: "Welcome" });
      expect(answer.headers["x-app"]).toBe("asgi-itty-bare");
    });

    it("sees the query and the request headers", async () => {
      const answer = await served.request(bare, "/echo?a=1&b=two", { headers: { "user-agent": "wharf-e2e/1.0" } });
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ query: { a: "1", b: "two" }, userAgent: "wharf-e2e/1.0" });
      expect(answer.headers["x-app"]).toBe("asgi-itty-bare");
    });

    it("streams a large POST body through to the app and back", async () => {
      const items = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ["a", "b", String(i % 7)] }));
      const body = JSON.stringify({ items });
      expect(body.length).toBeGreaterThan(1_000_000);
      const answer = await served.request(bare, "/items", { method: "POST", headers: json, body });
      expect(answer.status).toBe(201);
      expect(answer.json()).toEqual({ created: { items } });
      expect(answer.headers["x-app"]).toBe("asgi-itty-bare");
    });

    it("answers its own 404 for unknown paths and methods", async () => {
      const path = await served.request(bare, "/nope");
      expect(path.status).toBe(404);
      expect(path.json()).toEqual({ detail: "Not Found" });
      const method = await served.request(bare, "/", { method: "DELETE" });
      expect(method.status).toBe(404);
      expect(method.headers["x-app"]).toBe("asgi-itty-bare");
    });
  });
});

describe("wharf serve examples/asgi-requirements.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/asgi-requirements.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  it("serves the correct factory's app", async () => {
    expect(served.lines).toContain(`✓ web function createAsgi => http://asgi-requirements-createasgi-dev.localhost:${served.port}`);
    const answer = await served.request("asgi-requirements-createasgi-dev.localhost", "/");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ ok: true });
  });

  it("has no error or warning lines other than the host's network note", () => {
    const problems = served.lines.filter((l) => /^(error|warning):/.test(l) && !/network namespaces/.test(l));
    expect(problems).toEqual([]);
  });
});

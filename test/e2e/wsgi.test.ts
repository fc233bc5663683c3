/**
 * wsgiApp end to end: the Node request-listener apps of examples/wsgi-*.ts (Express, Koa,
 * Fastify) served by the real CLI, and a large request body streamed through to an app.
 */
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

const json = { "content-type": "application/json" };

describe("wharf serve examples/wsgi-express.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/wsgi-express.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const web = "wsgi-express-web-dev.localhost";

  it("prints both endpoints, site at its own label", async () => {
    expect(await served.waitFor(/web function web =>/)).toBe(`✓ web function web => http://wsgi-express-web-dev.localhost:${served.port}`);
    expect(await served.waitFor(/web function site =>/)).toBe(`✓ web function site => http://express-app-dev.localhost:${served.port}`);
  });

  it("answers GET / through Express and its middleware", async () => {
    const answer = await served.request(web, "/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("Hello from Express!");
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.headers["x-app"]).toBe("wsgi-express");
  });

  it("answers GET /api/data as JSON", async () => {
    const answer = await served.request(web, "/api/data");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ data: [1, 2, 3] });
    expect(answer.headers["x-app"]).toBe("wsgi-express");
  });

  it("passes a JSON body to POST /api/echo (parsed by express.json())", async () => {
    const body = { name: "rope", sizes: [10, 20, 30], nested: { ok: true } };
    const answer = await served.request(web, "/api/echo", { method: "POST", headers: json, body: JSON.stringify(body) });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ received: body });
  });

  it("lets Express answer unknown paths with its own 404", async () => {
    const answer = await served.request(web, "/no/such/path");
    expect(answer.status).toBe(404);
    expect(answer.text).toContain("Cannot GET /no/such/path");
    expect(answer.headers["x-app"]).toBe("wsgi-express");
  });

  it("serves site at express-app-dev, with its hand-written CORS", async () => {
    const answer = await served.request("express-app-dev.localhost", "/", { headers: { origin: "http://elsewhere.test" } });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("Hello from www.example.com!");
    expect(answer.headers["access-control-allow-origin"]).toBe("http://elsewhere.test");
    const preflight = await served.request("express-app-dev.localhost", "/", {
      method: "OPTIONS",
      headers: { origin: "http://elsewhere.test", "access-control-request-method": "POST", "access-control-request-headers": "x-custom" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-methods"]).toBe("GET, POST, OPTIONS");
    expect(preflight.headers["access-control-allow-headers"]).toBe("x-custom");
  });
});

describe("wharf serve examples/wsgi-koa.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/wsgi-koa.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const web = "wsgi-koa-web-dev.localhost";

  it("prints the endpoint", () => {
    expect(served.lines).toContain(`✓ web function web => http://wsgi-koa-web-dev.localhost:${served.port}`);
  });

  it("answers GET / through Koa and its middleware", async () => {
    const answer = await served.request(web, "/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("Hello from Koa!");
    expect(answer.headers["x-app"]).toBe("wsgi-koa");
    expect(answer.headers["x-response-time"]).toMatch(/^\d+\.\dms$/);
  });

  it("answers GET /api/data as JSON", async () => {
    const answer = await served.request(web, "/api/data");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ data: [1, 2, 3] });
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("answers other methods with the app's 405 and Allow", async () => {
    const answer = await served.request(web, "/", { method: "POST", headers: json, body: "{}" });
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("GET");
    expect(answer.headers["x-app"]).toBe("wsgi-koa");
  });

  it("lets Koa answer unknown paths with its own 404", async () => {
    const answer = await served.request(web, "/no/such/path");
    expect(answer.status).toBe(404);
    expect(answer.text).toBe("Not Found");
    expect(answer.headers["x-app"]).toBe("wsgi-koa");
  });
});

describe("wharf serve examples/wsgi-fastify.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/wsgi-fastify.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const web = "wsgi-fastify-web-dev.localhost";

  it("prints the endpoint", () => {
    expect(served.lines).toContain(`✓ web function web => http://wsgi-fastify-web-dev.localhost:${served.port}`);
  });

  it("answers GET / through Fastify and its onSend hook", async () => {
    const answer = await served.request(web, "/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("Hello from Fastify!");
    expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
    expect(answer.headers["x-app"]).toBe("wsgi-fastify");
  });

  it("answers GET /api/data as JSON", async () => {
    const answer = await served.request(web, "/api/data");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ data: [1, 2, 3] });
    expect(answer.headers["x-app"]).toBe("wsgi-fastify");
  });

  it("passes a JSON body to POST /items (parsed by Fastify)", async () => {
    const answer = await served.request(web, "/items", { method: "POST", headers: json, body: JSON.stringify({ name: "rope" }) });
    expect(answer.status).toBe(201);
    expect(answer.json()).toEqual({ created: { name: "rope" } });
    expect(answer.headers["x-app"]).toBe("wsgi-fastify");
  });

  it("lets Fastify answer unknown paths with its own 404", async () => {
    const answer = await served.request(web, "/no/such/path");
    expect(answer.status).toBe(404);
    expect(answer.json()).toEqual({ message: "Route GET:/no/such/path not found", error: "Not Found", statusCode: 404 });
    expect(answer.headers["x-app"]).toBe("wsgi-fastify");
  });
});

describe("wharf serve test/fixtures/body-stream.ts (large request bodies)", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/body-stream.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const host = "body-stream-sink-dev.localhost";

  it("delivers a 5 MB body intact (length and SHA-256 as the app read them)", async () => {
    // Printable bytes, so the helper's string body is sent byte for byte.
    const body = randomBytes(3_750_000).toString("base64");
    expect(body.length).toBe(5_000_000);
    const answer = await served.request(host, "/hash", { method: "POST", headers: { "content-type": "application/octet-stream" }, body });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ length: 5_000_000, sha256: createHash("sha256").update(body).digest("hex") });
  });

  it("streams: the app's answer starts before the request body has ended", async () => {
    // The rest of the body is sent only after the response headers and first line came back: a
    // gateway or runtime that buffered the whole request would never get there.
    const first = Buffer.alloc(64 * 1024, "a");
    const rest = Buffer.alloc(1024 * 1024, "b");
    const req = httpRequest({
      host: "127.0.0.1",
      port: served.port,
      method: "POST",
      path: "/duplex",
      headers: { host: `${host}:${served.port}`, "content-type": "application/octet-stream", "transfer-encoding": "chunked" },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
    });
    req.write(first);
    const res = await response;
    expect(res.statusCode).toBe(200);
    res.setEncoding("utf8");
    const chunks = res[Symbol.asyncIterator]();
    let text = "";
    while (!text.includes("\n")) {
      const next = (await chunks.next()) as IteratorResult<string>;
      if (next.done === true) break;
      text += next.value;
    }
    expect(text).toBe("first chunk received\n");
    req.end(rest);
    for (let next = (await chunks.next()) as IteratorResult<string>; next.done !== true; next = (await chunks.next()) as IteratorResult<string>) text += next.value;
    const summary = JSON.parse(text.split("\n")[1] ?? "") as unknown;
    const all = Buffer.concat([first, rest]);
    expect(summary).toEqual({ length: all.length, sha256: createHash("sha256").update(all).digest("hex") });
  });
});

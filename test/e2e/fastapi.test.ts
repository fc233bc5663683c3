import { request as undiciRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

interface ErrorEntry {
  loc: (string | number)[];
  msg: string;
  type: string;
}

const JSON_HEADERS = { "content-type": "application/json" };

describe("wharf serve examples/fastapi-options.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/fastapi-options.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const HANDLER = "my-endpoint-dev.localhost";
  const ITEMS = "fastapi-options-items-dev.localhost";
  const SEARCH = "fastapi-options-search-dev.localhost";
  const ME = "fastapi-options-me-dev.localhost";
  const NOTE = "fastapi-options-note-dev.localhost";
  const EVENTS = "fastapi-options-events-dev.localhost";

  describe("routing", () => {
    it("serves the explicit label with -dev and answers POST with the raw JSON body", async () => {
      const answer = await served.request(HANDLER, "/", { method: "POST", headers: JSON_HEADERS, body: '{"a":1,"b":[true,null]}' });
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
      expect(answer.json()).toEqual({ processed: { a: 1, b: [true, null] } });
    });

    it("answers another method with 405 and Allow", async () => {
      const answer = await served.request(HANDLER, "/");
      expect(answer.status).toBe(405);
      expect(answer.json()).toEqual({ detail: "Method Not Allowed" });
      expect(answer.headers["allow"]).toBe("POST");
    });

    it("answers another path with 404", async () => {
      const answer = await served.request(HANDLER, "/other", { method: "POST", headers: JSON_HEADERS, body: "{}" });
      expect(answer.status).toBe(404);
      expect(answer.json()).toEqual({ detail: "Not Found" });
    });
  });

  describe("body validation (zod)", () => {
    it("passes a valid body through the schema (defaults applied)", async () => {
      const answer = await served.request(ITEMS, "/", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ name: "rope", price: 10 }) });
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ created: { name: "rope", price: 10, tags: [] }, priceWithTax: 12 });
    });

    it("answers an invalid body with 422 and FastAPI-shaped details under body", async () => {
      const answer = await served.request(ITEMS, "/", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ name: "", price: -1 }) });
      expect(answer.status).toBe(422);
      const { detail } = answer.json<{ detail: ErrorEntry[] }>();
      expect(detail.map((d) => d.loc)).toEqual(expect.arrayContaining([["body", "name"], ["body", "price"]]));
      for (const entry of detail) {
        expect(entry.loc[0]).toBe("body");
        expect(typeof entry.msg).toBe("string");
        expect(entry.msg.length).toBeGreaterThan(0);
        expect(typeof entry.type).toBe("string");
        expect(entry.type.length).toBeGreaterThan(0);
      }
    });

    it("answers invalid JSON with 422 json_invalid", async () => {
      const answer = await served.request(ITEMS, "/", { method: "POST", headers: JSON_HEADERS, body: "{bad" });
      expect(answer.status).toBe(422);
      const { detail } = answer.json<{ detail: ErrorEntry[] }>();
      expect(detail).toHaveLength(1);
      expect(detail[0]?.type).toBe("json_invalid");
      expect(detail[0]?.loc[0]).toBe("body");
    });
  });

  describe("query validation (valibot)", () => {
    it("passes a valid query through the schema (limit converted to a number)", async () => {
      const answer = await served.request(SEARCH, "/?q=ar&limit=2");
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ q: "ar", limit: 2, results: ["cargo", "harbor"] });
    });

    it("answers a bad query with 422 under query", async () => {
      const answer = await served.request(SEARCH, "/?limit=abc");
      expect(answer.status).toBe(422);
      const { detail } = answer.json<{ detail: ErrorEntry[] }>();
      expect(detail.map((d) => d.loc)).toEqual(expect.arrayContaining([["query", "q"], ["query", "limit"]]));
      for (const entry of detail) {
        expect(entry.loc[0]).toBe("query");
        expect(typeof entry.msg).toBe("string");
        expect(typeof entry.type).toBe("string");
      }
    });
  });

  describe("dependencies and HTTPException", () => {
    it("answers 401 with WWW-Authenticate when the dependency finds no bearer token", async () => {
      const answer = await served.request(ME);
      expect(answer.status).toBe(401);
      expect(answer.json()).toEqual({ detail: "missing bearer token" });
      expect(answer.headers["www-authenticate"]).toBe("Bearer");
    });

    it("answers 403 for an unknown token", async () => {
      const answer = await served.request(ME, "/", { headers: { authorization: "Bearer token-mallory" } });
      expect(answer.status).toBe(403);
      expect(answer.json()).toEqual({ detail: "unknown token" });
    });

    it("gives the handler the resolved dependencies", async () => {
      const answer = await served.request(ME, "/", { headers: { authorization: "Bearer token-alice" } });
      expect(answer.status).toBe(200);
      const body = answer.json<{ user: unknown; at: string }>();
      expect(body.user).toEqual({ id: 1, name: "alice" });
      expect(Number.isNaN(Date.parse(body.at))).toBe(false);
    });

    it("sends an HTTPException thrown by the handler as its status and detail", async () => {
      const found = await served.request(NOTE, "/?id=1");
      expect(found.status).toBe(200);
      expect(found.json()).toEqual({ id: "1", text: "buy rope" });
      const missing = await served.request(NOTE, "/?id=9");
      expect(missing.status).toBe(404);
      expect(missing.json()).toEqual({ detail: "note 9 not found" });
    });
  });

  describe("streaming", () => {
    it("streams server-sent events as they are produced, in order", async () => {
      const answer = await undiciRequest(`http://127.0.0.1:${served.port}/`, {
        headers: { host: `${EVENTS}:${served.port}` },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^text\/event-stream/);
      const chunks: { at: number; text: string }[] = [];
      for await (const chunk of answer.body) chunks.push({ at: performance.now(), text: (chunk as Buffer).toString("utf8") });

      expect(chunks.map((c) => c.text).join("")).toBe('data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\ndata: [DONE]\n\n');
      // The producer waits 100 ms between events: a buffered body would arrive as one chunk.
      const first = chunks.findIndex((c) => c.text.includes('{"n":1}'));
      const last = chunks.findIndex((c) => c.text.includes("[DONE]"));
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(last).toBeGreaterThan(first);
      expect((chunks[last]?.at ?? 0) - (chunks[first]?.at ?? 0)).toBeGreaterThanOrEqual(50);
    });
  });

  describe("CORS", () => {
    it("reflects the Origin with credentials allowed", async () => {
      const answer = await served.request(HANDLER, "/", {
        method: "POST",
        headers: { ...JSON_HEADERS, origin: "http://app.example" },
        body: "{}",
      });
      expect(answer.status).toBe(200);
      expect(answer.headers["access-control-allow-origin"]).toBe("http://app.example");
      expect(answer.headers["access-control-allow-credentials"]).toBe("true");
    });

    it("answers a preflight without reaching the handler or its dependencies", async () => {
      // `me` refuses every request without a bearer token (401) and is GET-only (OPTIONS → 405):
      // a 2xx proves neither the dependency nor the route ran.
      const answer = await served.request(ME, "/", {
        method: "OPTIONS",
        headers: { origin: "http://app.example", "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
      });
      expect(answer.status).toBeGreaterThanOrEqual(200);
      expect(answer.status).toBeLessThan(300);
      expect(answer.headers["access-control-allow-origin"]).toBe("http://app.example");
      expect(answer.headers["access-control-allow-methods"]).toMatch(/\bGET\b/);
      expect(String(answer.headers["access-control-allow-headers"]).toLowerCase()).toContain("authorization");
      expect(answer.text).not.toContain("detail");
    });
  });

  describe("docs", () => {
    it("serves /docs referencing only its own /docs/ assets", async () => {
      const answer = await served.request(HANDLER, "/docs");
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^text\/html/);
      const tags = answer.text.match(/<(script|link)\b[^>]*>/gi) ?? [];
      const urls = tags.flatMap((tag) => [...tag.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1] ?? ""));
      expect(urls.length).toBeGreaterThan(0);
      expect(tags.some((t) => /^<script/i.test(t))).toBe(true);
      for (const url of urls) expect(url).toMatch(/^\/docs\//);
      for (const tag of tags) expect(tag).not.toMatch(/(?:https?:)?\/\/[a-z0-9]/i);
    });

    it("serves the Swagger UI bundle itself", async () => {
      const answer = await served.request(HANDLER, "/docs/swagger-ui-bundle.js");
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/javascript/);
      expect(answer.text.length).toBeGreaterThan(10_000);
    });

    it("serves an OpenAPI 3.1 document built from the zod body schema", async () => {
      const answer = await served.request(ITEMS, "/openapi.json");
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
      interface Doc {
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string; properties?: Record<string, unknown> } }> } }>>;
        components?: { schemas?: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
      }
      const doc = answer.json<Doc>();
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(Object.keys(doc.paths)).toEqual(["/"]);
      let schema = doc.paths["/"]?.["post"]?.requestBody?.content["application/json"]?.schema;
      expect(schema).toBeDefined();
      const ref = schema?.$ref;
      if (ref !== undefined) schema = doc.components?.schemas?.[ref.replace("#/components/schemas/", "")];
      expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(["name", "price", "tags"]);
    });

    it("serves neither /docs nor /openapi.json for an endpoint without docs", async () => {
      for (const path of ["/docs", "/openapi.json"]) {
        const answer = await served.request(SEARCH, path);
        expect(answer.status).toBe(404);
        expect(answer.json()).toEqual({ detail: "Not Found" });
      }
    });
  });
});

describe("wharf serve test/fixtures/crash.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/crash.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  it("answers a plain throw with a generic 500 and logs the stack under the function's name", async () => {
    const answer = await served.request("fixture-crash-crash-dev.localhost");
    expect(answer.status).toBe(500);
    expect(answer.json()).toEqual({ detail: "Internal Server Error" });
    expect(answer.text).not.toContain("failed on purpose");
    expect(answer.text).not.toMatch(/\bat /);

    const message = await served.waitFor(/^\[crash\] .*Error: fixture-crash: the handler failed on purpose/);
    expect(message).toBeDefined();
    await served.waitFor(/^\[crash\]\s+at /);
  });
});

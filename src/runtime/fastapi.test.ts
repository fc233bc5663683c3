/** Routing, input, validation and dependencies of the fastapiEndpoint handler, in-process. */
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fastapiEndpoint } from "../sdk/decorators.ts";
import { HTTPException } from "../sdk/http-exception.ts";
import { WEB_TAG, type WebSpec } from "../sdk/spec.ts";
import type { EndpointContext } from "../sdk/types.ts";
import { createFastapiHandler, type EndpointCall } from "./fastapi.ts";
import { ORIGIN, req, serve } from "./fastapi.test-kit.ts";


function post(body: string, method = "POST"): Request {
  return req("/", { method, body, headers: { "content-type": "application/json" } });
}

/** Echoes what the handler received, so tests can look at input and ctx. */
const echo: EndpointCall = (input, ctx) => ({ input: input ?? "<undefined>", query: ctx.query, deps: ctx.deps });

/** Rejects after `ms`: a handler that buffers or serializes where it must not fails fast. */
function within<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms))]);
}

describe("routing", () => {
  it("answers other paths with a JSON 404", async () => {
    const response = await serve({ method: "GET" })(req("/other"));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ detail: "Not Found" });
  });

  it("answers other methods on / with 405 and Allow", async () => {
    const handler = serve({ method: "POST" }, () => {
      throw new Error("must not run");
    });
    for (const method of ["GET", "PUT", "DELETE", "OPTIONS"]) {
      const response = await handler(req("/", { method }));
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      expect(await response.json()).toEqual({ detail: "Method Not Allowed" });
    }
  });

  it("does not answer HEAD on a GET endpoint (FastAPI's APIRoute adds no HEAD), and sends no body", async () => {
    const response = await serve({ method: "GET" })(req("/", { method: "HEAD" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
    expect(response.body).toBeNull();
  });

  it("serves a HEAD endpoint with the handler's headers and no body", async () => {
    const response = await serve({ method: "HEAD" }, () => new Response("hidden", { headers: { "x-count": "3" } }))(
      req("/", { method: "HEAD" }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-count")).toBe("3");
    expect(response.body).toBeNull();
  });
});

describe("input", () => {
  it("gives GET handlers the query object, a repeated key as an array", async () => {
    const response = await serve({ method: "GET" }, echo)(req("/?name=ada&tag=a&tag=b&tag=c&empty="));
    const expected = { name: "ada", tag: ["a", "b", "c"], empty: "" };
    expect(await response.json()).toEqual({ input: expected, query: expected, deps: {} });
  });

  it("gives DELETE handlers the query object too", async () => {
    const response = await serve({ method: "DELETE" }, echo)(req("/?id=7", { method: "DELETE" }));
    expect(await response.json()).toMatchObject({ input: { id: "7" } });
  });

  it("keeps __proto__ as a plain query key", async () => {
    const response = await serve({}, echo)(req("/?__proto__=x"));
    const { input } = (await response.json()) as { input: Record<string, unknown> };
    expect(Object.hasOwn(input, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(input, "__proto__")?.value).toBe("x");
  });

  it.each(["POST", "PUT", "PATCH"])("gives %s handlers the JSON body, and the query in ctx", async (method) => {
    const handler = serve({ method: method as WebSpec["method"] & string }, echo);
    const response = await handler(req("/?page=2", { method, body: JSON.stringify({ a: [1, { b: null }] }) }));
    expect(await response.json()).toEqual({ input: { a: [1, { b: null }] }, query: { page: "2" }, deps: {} });
  });

  it("gives undefined for an empty body when there is no body schema", async () => {
    let seen: unknown = "unset";
    await serve({ method: "POST" }, (input) => (seen = input))(req("/", { method: "POST" }));
    expect(seen).toBeUndefined();
  });

  it("passes request, headers and query in ctx", async () => {
    let ctx: EndpointContext | undefined;
    await serve({}, (_input, c) => (ctx = c))(req("/?q=1", { headers: { "x-user": "ada" } }));
    expect(ctx?.request.url).toBe(`${ORIGIN}/?q=1`);
    expect(ctx?.headers.get("x-user")).toBe("ada");
    expect(ctx?.query).toEqual({ q: "1" });
  });
});

describe("validation", () => {
  it("answers invalid JSON with FastAPI's json_invalid 422", async () => {
    const handler = serve({ method: "POST" }, () => {
      throw new Error("must not run");
    });
    const response = await handler(post("{"));
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      detail: [{ type: "json_invalid", loc: ["body", 1], msg: "JSON decode error", input: {}, ctx: { error: expect.any(String) } }],
    });
    const noOffset = (await (await handler(post("nope"))).json()) as { detail: Array<{ loc: unknown[] }> };
    expect(noOffset.detail[0]?.loc).toEqual(["body", 0]);
  });

  it("turns zod body failures into loc/msg/type entries and validated output into input", async () => {
    const body = z.object({ name: z.string().min(1, "name is required"), tags: z.array(z.string()), n: z.coerce.number() });
    const handler = serve({ method: "POST", body }, echo);
    const bad = await handler(post(JSON.stringify({ name: "", tags: ["x", 5], n: "3" })));
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({
      detail: [
        { loc: ["body", "name"], msg: "name is required", type: "too_small" },
        { loc: ["body", "tags", 1], msg: expect.any(String), type: "invalid_type" },
      ],
    });
    const good = await handler(post(JSON.stringify({ name: "ada", tags: [], n: "3" })));
    expect(await good.json()).toMatchObject({ input: { name: "ada", tags: [], n: 3 } });
  });

  it("validates undefined when a body schema meets an empty body", async () => {
    const response = await serve({ method: "POST", body: z.object({ a: z.number() }) })(req("/", { method: "POST" }));
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ detail: [{ loc: ["body"], msg: expect.any(String), type: "invalid_type" }] });
  });

  it("turns valibot query failures into entries, unwrapping {key} path segments", async () => {
    const page = v.optional(v.pipe(v.string(), v.transform(Number)));
    const query = v.object({ q: v.pipe(v.string(), v.minLength(2, "too short")), page });
    const handler = serve({ method: "GET", query }, echo);
    const bad = await handler(req("/?q=a"));
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({ detail: [{ loc: ["query", "q"], msg: "too short", type: "min_length" }] });
    const missing = (await (await handler(req("/"))).json()) as { detail: unknown[] };
    expect(missing.detail).toEqual([{ loc: ["query", "q"], msg: expect.stringContaining('"q"'), type: "object" }]);
    const good = await handler(req("/?q=ab&page=3"));
    expect(await good.json()).toMatchObject({ input: { q: "ab", page: 3 }, query: { q: "ab", page: "3" } });
  });

  it("awaits async schemas (zod async refine, valibot objectAsync)", async () => {
    const taken = async (name: string) => name !== "taken";
    const zodBody = z.object({ name: z.string().refine(taken, "name is taken") });
    const valibotBody = v.objectAsync({ name: v.pipeAsync(v.string(), v.checkAsync(taken, "name is taken")) });
    for (const body of [zodBody, valibotBody]) {
      const handler = serve({ method: "POST", body }, echo);
      const bad = await handler(post('{"name":"taken"}'));
      expect(await bad.json()).toEqual({ detail: [{ loc: ["body", "name"], msg: "name is taken", type: expect.any(String) }] });
      expect(await (await handler(post('{"name":"free"}'))).json()).toMatchObject({ input: { name: "free" } });
    }
  });
});

describe("dependencies", () => {
  it("resolves every dependency concurrently before the handler, with ctx minus deps", async () => {
    let arrived = 0;
    let open: () => void = () => undefined;
    const bothStarted = new Promise<void>((resolve) => (open = resolve));
    // Each dependency waits for the other to start: sequential resolution would deadlock.
    const meet = async (value: string) => {
      if (++arrived === 2) open();
      await bothStarted;
      return value;
    };
    let depCtxKeys: string[] = [];
    const deps = {
      user: async (ctx: never) => {
        depCtxKeys = Object.keys(ctx);
        return meet("ada");
      },
      db: () => meet("pool"),
      plain: () => 42,
    };
    const response = await within(serve({ deps }, echo)(req("/")));
    expect(await response.json()).toMatchObject({ deps: { user: "ada", db: "pool", plain: 42 } });
    expect(depCtxKeys.sort()).toEqual(["headers", "query", "request"]);
  });

  it("lets a dependency answer with an HTTPException before validation and the handler", async () => {
    let called = false;
    const deps = {
      auth: () => {
        throw new HTTPException(401, "login first", { "WWW-Authenticate": "Bearer" });
      },
    };
    const handler = serve({ method: "POST", body: z.object({ a: z.number() }), deps }, () => (called = true));
    const response = await handler(post("{}"));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await response.json()).toEqual({ detail: "login first" });
    expect(called).toBe(false);
  });
});

describe("with the SDK's decorator", () => {
  it("serves the spec fastapiEndpoint attaches, with a bound class method", async () => {
    class Counter {
      count = 0;
      hit(input: unknown) {
        return { input, n: ++this.count };
      }
    }
    const decorated = fastapiEndpoint({ method: "POST", body: z.object({ by: z.number() }) })(Counter.prototype.hit);
    const spec = (decorated as unknown as Record<symbol, WebSpec>)[WEB_TAG];
    if (spec === undefined) throw new Error("fastapiEndpoint attached no spec");
    const instance = new Counter();
    const handler = createFastapiHandler(spec, (input) => decorated.call(instance, input), { name: "counter" });
    await handler(post('{"by":1}'));
    expect(await (await handler(post('{"by":2}'))).json()).toEqual({ input: { by: 2 }, n: 2 });
  });
});

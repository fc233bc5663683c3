/** Results, errors, streaming and CORS of the fastapiEndpoint handler, in-process. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { HTTPException } from "../sdk/http-exception.ts";
import type { EndpointCall } from "./fastapi.ts";
import { req, serve } from "./fastapi.test-kit.ts";


function within<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms))]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("results", () => {
  it("sends plain values as JSON 200, undefined as null", async () => {
    const object = await serve({}, async () => ({ message: "Hello, world!" }))(req("/"));
    expect(object.status).toBe(200);
    expect(object.headers.get("content-type")).toBe("application/json");
    expect(await object.json()).toEqual({ message: "Hello, world!" });
    expect(await (await serve({}, () => undefined)(req("/"))).text()).toBe("null");
    expect(await (await serve({}, () => "hi")(req("/"))).json()).toBe("hi");
  });

  it("passes a handler's Response through as is, with CORS added", async () => {
    const original = new Response("<p>hi</p>", { status: 201, headers: { "content-type": "text/html", "x-a": "1" } });
    const response = await serve({}, () => original)(req("/"));
    expect(response).toBe(original);
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.text()).toBe("<p>hi</p>");
  });

  it("rewraps a Response with immutable headers, keeping status and headers", async () => {
    const redirect = Response.redirect("https://example.com/next", 307);
    expect(() => redirect.headers.set("x", "y")).toThrow();
    const response = await serve({}, () => redirect)(req("/", { headers: { origin: "https://app.test" } }));
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("https://example.com/next");
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.test");
  });

  it("streams a Response body chunk by chunk without buffering it", async () => {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pulls = 0;
    // highWaterMark 0: a chunk is produced only when read; the second waits for the test.
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          pulls += 1;
          if (pulls === 1) controller.enqueue(encoder.encode("data: one\n\n"));
          else if (pulls === 2) {
            await gate;
            controller.enqueue(encoder.encode("data: two\n\n"));
          } else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const sse = () => new Response(stream, { headers: { "content-type": "text/event-stream" } });
    const response = await within(serve({}, sse)(req("/")));
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    const first = await within(reader.read());
    expect(decoder.decode(first.value)).toBe("data: one\n\n");
    release();
    const second = await within(reader.read());
    expect(decoder.decode(second.value)).toBe("data: two\n\n");
    expect((await within(reader.read())).done).toBe(true);
  });
});

describe("errors", () => {
  it("answers an HTTPException with its status, detail and headers", async () => {
    const handler = serve({}, () => {
      throw new HTTPException(404, { item: 7, reason: "missing" }, { "x-reason": "gone" });
    });
    const response = await handler(req("/"));
    expect(response.status).toBe(404);
    expect(response.headers.get("x-reason")).toBe("gone");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ detail: { item: 7, reason: "missing" } });
  });

  it("recognises an HTTPException from a bundle's own copy of the SDK", async () => {
    const foreign = { status: 418, detail: "teapot", headers: {}, [Symbol.for("wharf.http-exception")]: true };
    const response = await serve({}, async () => Promise.reject(foreign))(req("/"));
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ detail: "teapot" });
  });

  it("uses the reason phrase when no detail is given", async () => {
    const response = await serve({}, () => {
      throw new HTTPException(403);
    })(req("/"));
    expect(await response.json()).toEqual({ detail: "Forbidden" });
  });

  it("hides any other error behind a 500 and logs its stack under the endpoint's name", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await serve({}, () => {
      throw new Error("secret database password");
    })(req("/"));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ detail: "Internal Server Error" });
    expect(text).not.toContain("secret");
    expect(logged).toHaveBeenCalledTimes(1);
    const line = String(logged.mock.calls[0]?.[0]);
    expect(line.startsWith("[hello] Error: secret database password")).toBe(true);
    expect(line).toContain("fastapi-responses.test.ts");
  });

  it("turns an HTTPException with an impossible status into a logged 500", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await serve({}, () => {
      throw new HTTPException(99, "nope");
    })(req("/"));
    expect(response.status).toBe(500);
    expect(logged).toHaveBeenCalledTimes(1);
  });
});

describe("CORS", () => {
  const origin = "https://app.example.com";

  it("reflects the Origin with credentials on every kind of response", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const requests: Array<[EndpointCall, Request]> = [
      [() => ({ ok: true }), req("/", { headers: { origin } })],
      [() => ({ ok: true }), req("/missing", { headers: { origin } })],
      [() => ({ ok: true }), req("/", { method: "PUT", headers: { origin } })],
      [() => ({ ok: true }), req("/?n=x", { headers: { origin } })],
      [() => { throw new Error("boom"); }, req("/", { headers: { origin } })],
    ];
    const statuses: number[] = [];
    for (const [call, request] of requests) {
      const response = await serve({ query: z.object({ n: z.coerce.number().optional() }) }, call)(request);
      statuses.push(response.status);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("vary")).toBe("Origin");
    }
    expect(statuses).toEqual([200, 404, 405, 422, 500]);
  });

  it("answers * without an Origin, and keeps a handler's own Vary", async () => {
    const response = await serve({}, () => new Response("x", { headers: { vary: "Accept-Encoding" } }))(req("/"));
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("vary")).toBe("Accept-Encoding, Origin");
  });

  it("answers preflights, on any path, without reaching the handler", async () => {
    let called = false;
    const handler = serve({ method: "POST", requiresProxyAuth: true }, () => (called = true));
    for (const path of ["/", "/elsewhere"]) {
      const response = await handler(
        req(path, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-token" },
        }),
      );
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("OK");
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      expect(response.headers.get("access-control-allow-headers")).toBe("content-type, x-token");
      expect(response.headers.get("access-control-max-age")).toBe("600");
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    }
    expect(called).toBe(false);
  });
});

/**
 * The fastapiEndpoint shortcut (`direct`, issue 8.4) answers exactly as the fetch adapter does:
 * the same requests, over real sockets, to one server using the shortcut and one without.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { HTTPException } from "../../src/sdk/http-exception.ts";
import type { WebSpec } from "../../src/sdk/spec.ts";
import type { EndpointContext } from "../../src/sdk/types.ts";
import { fastapiListener, fetchListener } from "../../src/runtime/container.ts";
import { createFastapiHandler } from "../../src/runtime/fastapi.ts";

/** What the handler does depends on `?do=`, so one endpoint covers every kind of answer. */
function handlerOf(calls: string[]) {
  return (input: unknown, ctx: EndpointContext): unknown => {
    const query = ctx.query;
    calls.push(JSON.stringify(query));
    switch (query["do"]) {
      case "headers":
        return { ua: ctx.headers.get("user-agent"), url: new URL(ctx.request.url).pathname, keys: Object.keys({ ...ctx }).sort() };
      case "throw":
        throw new HTTPException(418, "teapot", { "x-why": "because" });
      case "crash":
        throw new Error("boom");
      case "response":
        return new Response("raw", { status: 201, headers: { "content-type": "text/plain", vary: "Accept" } });
      case "undefined":
        return undefined;
      case "async":
        return Promise.resolve({ later: input });
      default:
        return { input };
    }
  };
}

const spec = (extra: Partial<WebSpec> = {}): WebSpec => ({ kind: "fastapi", method: "GET", customDomains: [], requiresProxyAuth: false, sourceName: "hello", ...extra });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(server: Server, path: string, method = "GET", headers: Record<string, string> = {}): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { host: "hello.localhost:8000", ...headers }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        const { date: _date, ...rest } = res.headers;
        resolve({ status: res.statusCode ?? 0, headers: rest, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const listen = (server: Server): Promise<Server> => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));

describe.each([
  ["no schemas", spec()],
  ["a query schema", spec({ query: z.object({ do: z.string().optional(), n: z.coerce.number().optional() }) })],
])("fastapiEndpoint shortcut, %s", (_name, endpointSpec) => {
  const directCalls: string[] = [];
  const plainCalls: string[] = [];
  let direct: Server;
  let plain: Server;
  beforeAll(async () => {
    direct = await listen(createServer(fastapiListener(createFastapiHandler(endpointSpec, handlerOf(directCalls), { name: "hello" }))));
    plain = await listen(createServer(fetchListener(createFastapiHandler(endpointSpec, handlerOf(plainCalls), { name: "hello" }))));
  });
  afterAll(() => {
    direct.close();
    plain.close();
  });

  const cases: [string, string, string, Record<string, string>][] = [
    ["a plain result", "/", "GET", {}],
    ["a repeated query key", "/?a=1&a=2&b=%20x+y", "GET", {}],
    ["a reflected origin", "/?x=1", "GET", { origin: "https://app.example" }],
    ["ctx.headers and ctx.request", "/?do=headers", "GET", { "user-agent": "test-agent/1" }],
    ["an HTTPException", "/?do=throw", "GET", { origin: "https://app.example" }],
    ["a crash", "/?do=crash", "GET", {}],
    ["a Response", "/?do=response", "GET", { origin: "https://app.example" }],
    ["undefined", "/?do=undefined", "GET", {}],
    ["an async result", "/?do=async", "GET", {}],
    ["a failed query schema", "/?n=abc", "GET", {}],
    ["a non-ASCII query", "/?name=caf%C3%A9", "GET", {}],
    ["another path", "/other", "GET", {}],
    ["another method", "/", "POST", {}],
    ["HEAD", "/", "HEAD", {}],
    ["a preflight", "/", "OPTIONS", { origin: "https://app.example", "access-control-request-method": "GET" }],
  ];
  it.each(cases)("answers %s as the fetch adapter does", async (_what, path, method, headers) => {
    const [a, b] = await Promise.all([send(direct, path, method, headers), send(plain, path, method, headers)]);
    expect(a).toEqual(b);
  });

  it("called the handler once per request on both servers, with the same query", () => {
    expect(directCalls).toEqual(plainCalls);
  });
});

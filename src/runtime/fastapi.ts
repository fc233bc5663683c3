/**
 * The container side of `fastapiEndpoint`: one route (`/`, one method), input parsing and
 * validation, dependencies, FastAPI-shaped errors, CORS and optional docs, as a fetch-style
 * `(Request) => Promise<Response>` so it is tested in-process and served by any adapter.
 */
import type { IncomingMessage } from "node:http";
import { isHTTPException } from "../sdk/http-exception.ts";
import type { HttpMethod, WebSpec } from "../sdk/spec.ts";
import type { EndpointContext, RequestContext } from "../sdk/types.ts";
import { applyCors, isPreflight, preflightResponse } from "./cors.ts";
import { docsAsset, docsPage } from "./docs.ts";
import { buildOpenApi } from "./openapi.ts";
import { jsonInvalid, validate, type ErrorDetail } from "./validation.ts";

/** Invokes the user's handler: a plain function, or a method bound to the container's instance. */
export type EndpointCall = (input: unknown, ctx: EndpointContext) => unknown;

const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);
/** Statuses whose responses may not carry a body (`new Response(text, {status: 204})` throws). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/**
 * Builds the request handler of one fastapiEndpoint. `meta.name` titles the docs, is the
 * OpenAPI operationId and prefixes error logs.
 */
export function createFastapiHandler(
  spec: WebSpec,
  call: EndpointCall,
  meta: { name: string },
): FastapiHandler {
  const method: HttpMethod = spec.method ?? "GET";
  let openapiText: string | undefined;

  async function route(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/") {
      if (request.method !== method) return json(405, { detail: "Method Not Allowed" }, { allow: method });
      return serveEndpoint(request);
    }
    const isDocs = pathname === "/openapi.json" || pathname === "/docs" || pathname.startsWith("/docs/");
    if (spec.docs === true && isDocs) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json(405, { detail: "Method Not Allowed" }, { allow: "GET, HEAD" });
      }
      if (pathname === "/openapi.json") {
        // The schemas never change within a container: build the document once.
        openapiText ??= JSON.stringify(buildOpenApi({ name: meta.name, method, body: spec.body, query: spec.query }));
        return new Response(openapiText, { headers: { "content-type": "application/json" } });
      }
      if (pathname === "/docs") return docsPage(meta.name);
      const asset = await docsAsset(pathname.slice("/docs/".length));
      if (asset !== undefined) return asset;
    }
    return json(404, { detail: "Not Found" });
  }

  async function serveEndpoint(request: Request): Promise<Response> {
    const query = parseQuery(new URL(request.url).searchParams);
    const hasBody = BODY_METHODS.has(request.method);
    let body: unknown;
    if (hasBody) {
      const text = await request.text();
      // An empty body is "no body" (undefined), not a syntax error, as in FastAPI.
      if (text !== "") {
        try {
          body = JSON.parse(text);
        } catch (error) {
          return json(422, { detail: [jsonInvalid(text, error)] });
        }
      }
    }

    const base: RequestContext = { request, headers: request.headers, query };
    // Like FastAPI, dependencies run before parameter validation: an auth dependency answers
    // 401 before a 422 can describe the schema to an unauthenticated caller.
    const deps = await resolveDeps(spec.deps, base);

    const errors: ErrorDetail[] = [];
    let queryOut: unknown = query;
    let bodyOut: unknown = body;
    if (spec.query !== undefined) {
      const result = await validate(spec.query, query, "query");
      if (result.ok) queryOut = result.value;
      else errors.push(...result.errors);
    }
    if (spec.body !== undefined) {
      const result = await validate(spec.body, body, "body");
      if (result.ok) bodyOut = result.value;
      else errors.push(...result.errors);
    }
    if (errors.length > 0) return json(422, { detail: errors });

    // The precedence of the SDK's `EndpointInput` type: body schema, then query schema, then
    // the raw input of the method (JSON body for POST/PUT/PATCH, query object otherwise).
    const input =
      spec.body !== undefined ? bodyOut : spec.query !== undefined ? queryOut : hasBody ? body : query;
    const result = await call(input, { ...base, deps });
    return result instanceof Response ? result : json(200, result);
  }

  function errorResponse(error: unknown): Response {
    if (isHTTPException(error)) {
      try {
        return json(error.status, { detail: error.detail }, error.headers);
      } catch (invalid) {
        // e.g. a status outside 200..599 or a detail JSON cannot encode: the handler's bug.
        return internalError(meta.name, invalid);
      }
    }
    return internalError(meta.name, error);
  }

  const handler = async (request: Request): Promise<Response> => {
    // Preflights are answered for every path, before routing, as Starlette's CORS middleware does.
    if (isPreflight(request)) return preflightResponse(request);
    let response: Response;
    try {
      response = await route(request);
    } catch (error) {
      response = errorResponse(error);
    }
    return finish(request, response);
  };

  /**
   * The same answer as `handler` for the common request, computed from the Node request without
   * building a `Request`, URLs or `Headers` first (issue 8.4): the endpoint's own method (not a
   * body method, not HEAD) at `/`, a printable target, no dependencies. `ctx.request` and
   * `ctx.headers` are made when the handler reads them. Undefined: not such a request, use `handler`.
   */
  const direct = (req: IncomingMessage): Promise<DirectAnswer> | undefined => {
    const target = req.url ?? "";
    if (req.method !== method || BODY_METHODS.has(method) || method === "HEAD" || spec.deps !== undefined) return undefined;
    if (!(target === "/" || target.startsWith("/?")) || !PRINTABLE_TARGET.test(target)) return undefined;
    return directAnswer(req, target.length > 2 ? target.slice(2) : "");
  };

  async function directAnswer(req: IncomingMessage, search: string): Promise<DirectAnswer> {
    const context = lazyContext(req, parseQuery(new URLSearchParams(search)));
    let response: Response;
    try {
      let input: unknown = context.query;
      if (spec.query !== undefined) {
        const result = await validate(spec.query, context.query, "query");
        if (!result.ok) return { response: finish(context.request, json(422, { detail: result.errors })) };
        input = result.value;
      }
      const result = await call(input, context);
      if (!(result instanceof Response)) {
        const origin = req.headers.origin;
        return { status: 200, body: JSON.stringify(result) ?? "null", origin: typeof origin === "string" ? origin : "*" };
      }
      response = result;
    } catch (error) {
      response = errorResponse(error);
    }
    return { response: finish(context.request, response) };
  }

  return Object.assign(handler, { direct });
}

/** A fastapiEndpoint's fetch-style handler, with its Node-level shortcut (`direct`). */
export type FastapiHandler = ((request: Request) => Promise<Response>) & {
  direct(req: IncomingMessage): Promise<DirectAnswer> | undefined;
};

/**
 * What `direct` computed: a JSON body of a 200 with the CORS headers (`origin` reflected), or a
 * finished `Response` to be written as `handler`'s would be.
 */
export type DirectAnswer = { status: 200; body: string; origin: string } | { response: Response };

/** A request target the shortcut reads as `new URL()` would: visible ASCII, no fragment. */
const PRINTABLE_TARGET = /^[\x21-\x22\x24-\x7e]*$/;

/**
 * `ctx` of the shortcut: `request` and `headers` are built on first use from the Node request
 * (own enumerable getters, so spreading `ctx` still gives them).
 */
function lazyContext(req: IncomingMessage, query: Record<string, string | string[]>): EndpointContext {
  let made: Request | undefined;
  const request = (): Request => {
    if (made === undefined) {
      const headers = new Headers();
      const raw = req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] ?? "", raw[i + 1] ?? "");
      made = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { method: req.method ?? "GET", headers });
    }
    return made;
  };
  return {
    get request() {
      return request();
    },
    get headers() {
      return request().headers;
    },
    query,
    deps: {},
  };
}

/** Query parameters as an object; a repeated key gives an array (`?a=1&a=2` → `{a: ["1","2"]}`). */
function parseQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query = new Map<string, string | string[]>();
  for (const [key, value] of params) {
    const previous = query.get(key);
    query.set(key, previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]);
  }
  // fromEntries defines own properties, so `?__proto__=x` is kept as data, never a prototype.
  return Object.fromEntries(query);
}

/** Resolves every dependency concurrently; the first rejection (e.g. an HTTPException) wins. */
async function resolveDeps(
  deps: WebSpec["deps"],
  ctx: RequestContext,
): Promise<Record<string, unknown>> {
  if (deps === undefined) return {};
  const entries = Object.entries(deps) as Array<[string, (ctx: RequestContext) => unknown]>;
  // `async` wrapper: a dependency that throws synchronously must not stop the others starting.
  const values = await Promise.all(entries.map(async ([, dependency]) => dependency(ctx)));
  return Object.fromEntries(entries.map(([name], index) => [name, values[index]]));
}

/** Logs the stack under the endpoint's name; the client only ever sees the generic 500. */
function internalError(name: string, error: unknown): Response {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  console.error(`[${name}] ${text}`);
  return json(500, { detail: "Internal Server Error" });
}

/** A JSON response; `undefined` encodes as `null`. Given headers win, content-type included. */
function json(status: number, value: unknown, headers?: HeadersInit): Response {
  const responseHeaders = new Headers(headers);
  if (!responseHeaders.has("content-type")) responseHeaders.set("content-type", "application/json");
  const text = JSON.stringify(value) ?? "null";
  return new Response(NULL_BODY_STATUSES.has(status) ? null : text, { status, headers: responseHeaders });
}

/**
 * Adds CORS headers and drops the body of HEAD answers. A handler's Response is passed through
 * with its body stream untouched (SSE, large downloads); only when its headers are immutable
 * (a `fetch()` result, `Response.redirect`) is it rewrapped around the same stream.
 */
function finish(request: Request, response: Response): Response {
  let out = response;
  try {
    applyCors(request, out.headers);
  } catch {
    const headers = new Headers(out.headers);
    applyCors(request, headers);
    out = new Response(out.body, { status: out.status, statusText: out.statusText, headers });
  }
  if (request.method === "HEAD" && out.body !== null) {
    // Nobody will read it: release the producer (a generator, a file, an upstream fetch).
    void out.body.cancel().catch(() => undefined);
    out = new Response(null, { status: out.status, statusText: out.statusText, headers: out.headers });
  }
  return out;
}

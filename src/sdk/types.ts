import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpMethod } from "./spec.ts";
import type { InferOutput, StandardSchemaV1 } from "./standard-schema.ts";

/**
 * Options of `app.function()` and `app.cls()`. Every field is optional; defaults are on each field.
 *
 * @example
 * app.function({ minContainers: 1, maxContainers: 4, timeout: 30, concurrency: { maxInputs: 8 }, env: { MODE: "prod" }, secrets: ["stripe"], memory: 512 })
 */
export interface FunctionOptions {
  /** The function's name; default: its exported binding's name, then its own `name`. */
  name?: string;
  /** Containers kept running even without traffic. Default `0`. */
  minContainers?: number;
  /** Upper bound on containers. Default `10`. */
  maxContainers?: number;
  /** Idle containers kept beyond current need. Default `0`. */
  bufferContainers?: number;
  /** Seconds an idle container lives before it stops; 2..1200. Default `60`. */
  scaledownWindow?: number;
  /** Seconds a request may take, queueing included. Default `150`. */
  timeout?: number;
  /** Inputs per container: `maxInputs` (default 1) and `targetInputs` (default = maxInputs). */
  concurrency?: { maxInputs?: number; targetInputs?: number };
  /**
   * Environment variables of the function's containers. Under `wharf serve` they come on top of
   * the CLI's environment and `.env`; under `wharf server`, on top of `PATH`, `HOME` and
   * `NODE_ENV` only (and of the function's `secrets`). Default `{}`.
   */
  env?: Record<string, string>;
  /**
   * Names of secrets (`wharf secret create NAME KEY=VALUE…` on the server) whose keys become
   * environment variables of this function's containers, and of no other function's. In list
   * order, a later secret's key wins; `env` wins over every secret. A deploy naming a secret the
   * server does not have is refused. `wharf serve` reads no server secrets: put their keys in
   * `.env`. Default `[]`.
   *
   * @example
   * app.function({ secrets: ["stripe", "postgres"] })
   */
  secrets?: string[];
  /** Memory limit in MiB, enforced where the host can (cgroups). */
  memory?: number;
}

/**
 * Options every web decorator takes. Defaults: label `{app}-{function}`, no custom domains,
 * `requiresProxyAuth: false`.
 *
 * @example
 * wharf.asgiApp({ label: "my-api", customDomains: ["api.example.com", "*.example.org"], requiresProxyAuth: true })
 */
export interface WebOptions {
  /** Subdomain label: 1..63 of `[a-z0-9-]`, not starting or ending with `-`. Default `{app}-{function}`. */
  label?: string;
  /** Extra hostnames: exact (`api.example.com`) or one-level wildcard (`*.example.com`). Default `[]`. */
  customDomains?: string[];
  /** Require `Modal-Key`/`Modal-Secret` (or `Authorization: Bearer wk-….ws-…`). Default `false`. */
  requiresProxyAuth?: boolean;
}

/**
 * What a fastapiEndpoint handler and its dependencies see besides the input.
 *
 * @example
 * const user = (ctx: wharf.RequestContext) => ctx.headers.get("authorization") ?? "anonymous";
 */
export interface RequestContext {
  /** The request as received by the container (body already consumed for POST/PUT/PATCH). */
  request: Request;
  headers: Headers;
  /** Query parameters; a repeated key gives an array. */
  query: Record<string, string | string[]>;
}

/**
 * The second argument of a fastapiEndpoint handler: the request context plus resolved `deps`.
 *
 * @example
 * wharf.fastapiEndpoint({ deps: { user } })((_input, ctx) => ({ hello: ctx.deps.user }));
 */
export interface EndpointContext<Deps = Record<string, unknown>> extends RequestContext {
  /** The resolved results of the endpoint's `deps`. */
  deps: Deps;
}

export type Dependency = (ctx: RequestContext) => unknown;
export type Dependencies = Record<string, Dependency>;
export type ResolvedDeps<D> = { [K in keyof D]: D[K] extends (...args: never[]) => infer R ? Awaited<R> : never };

/**
 * Options of `fastapiEndpoint` (and `webEndpoint`). Defaults: `method: "GET"`, `docs: false`, no
 * schemas, no deps, plus the {@link WebOptions} defaults.
 *
 * @example
 * wharf.fastapiEndpoint({ method: "POST", docs: true, body: z.object({ name: z.string() }) })
 */
export interface FastapiEndpointOptions<
  B extends StandardSchemaV1 | undefined = undefined,
  Q extends StandardSchemaV1 | undefined = undefined,
  D extends Dependencies = Record<never, never>,
> extends WebOptions {
  /** The one HTTP method served at `/`. Default `"GET"`. */
  method?: HttpMethod;
  /** Serve `/docs` (Swagger UI, no CDN) and `/openapi.json`. Default `false`. */
  docs?: boolean;
  /** Standard Schema (zod 4, valibot, arktype) for the JSON body; failures → 422. */
  body?: B;
  /** Standard Schema for the query parameters object; failures → 422. */
  query?: Q;
  /** Dependencies resolved before the handler, available as `ctx.deps`. */
  deps?: D;
}

/** The input a handler gets: the schema's output, or the raw query object / JSON body. */
export type EndpointInput<B, Q> = B extends StandardSchemaV1
  ? InferOutput<B>
  : Q extends StandardSchemaV1
    ? InferOutput<Q>
    : unknown;

/**
 * A handler type whose parameters are compared bivariantly, so both `(data: MyType) => …` and an
 * unannotated `(data) => …` are accepted where no schema describes the input.
 */
export type Handler<I, D> = {
  handle(input: I, ctx: EndpointContext<D>): unknown;
}["handle"];

/** A decorator usable as a wrapper `dec(fn)` and as a TC39 method decorator `@dec`. */
export interface EndpointDecorator<I, D> {
  <F extends Handler<I, D>>(fn: F, context?: ClassMethodDecoratorContext): F;
}

/**
 * An ASGI-equivalent app: an object with `fetch` (Hono, itty-router, H3, Elysia) or a bare function.
 *
 * @example
 * const app: wharf.FetchApp = (request) => Response.json({ path: new URL(request.url).pathname });
 */
export type FetchApp =
  | { fetch: (request: Request) => Response | Promise<Response> }
  | ((request: Request) => Response | Promise<Response>);

/**
 * A WSGI-equivalent app: a Node request listener (Express, Connect), a Koa app, or a Fastify instance.
 *
 * @example
 * const app: wharf.NodeApp = (req, res) => res.end(`hello from ${req.url}`);
 */
export type NodeApp =
  | ((req: IncomingMessage, res: ServerResponse) => unknown)
  | { callback(): (req: IncomingMessage, res: ServerResponse) => unknown }
  | { ready(): PromiseLike<unknown>; routing(req: IncomingMessage, res: ServerResponse): unknown };

/** `unknown` when `F` takes no parameters at all (defaulted and rest ones count), else `never`. */
export type NoParameters<F> = F extends (...args: infer A) => unknown
  ? A extends [] ? (number extends A["length"] ? never : unknown) : never
  : never;

/**
 * `unknown` when `F` is synchronous (does not return a Promise), else `never`. `Promise`, not
 * `PromiseLike`: a Fastify instance is thenable yet a perfectly good synchronous result.
 */
export type Synchronous<F> = F extends (...args: never[]) => infer T
  ? (T extends Promise<unknown> ? never : unknown)
  : never;

/**
 * A decorator for a factory (asgiApp, wsgiApp, webServer): it must be synchronous and take no
 * parameters, so `async` factories and `(config) => app` are compile errors as well as load errors.
 */
export interface FactoryDecorator<R> {
  <F extends () => R>(fn: F & NoParameters<F> & Synchronous<F>, context?: ClassMethodDecoratorContext): F;
}

/**
 * Options of `webServer(port, options)`: `startupTimeout` (default 5 s) plus {@link WebOptions}.
 *
 * @example
 * wharf.webServer(8000, { startupTimeout: 10, label: "files" })
 */
export interface WebServerOptions extends WebOptions {
  /** Seconds to wait for the port to accept connections. Default `5`. */
  startupTimeout?: number;
}

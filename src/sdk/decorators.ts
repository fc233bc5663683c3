import { LIFECYCLE_TAG, WEB_TAG, type Lifecycle, type WebSpec } from "./spec.ts";
import { refuseLegacyDecorator } from "./legacy-decorators.ts";
import type { StandardSchemaV1 } from "./standard-schema.ts";
import type {
  Dependencies, EndpointDecorator, EndpointInput, FactoryDecorator, FastapiEndpointOptions, FetchApp,
  NodeApp, ResolvedDeps, WebOptions, WebServerOptions,
} from "./types.ts";

type Tagged = Record<symbol, unknown>;

const DECORATOR_NAMES = { fastapi: "fastapiEndpoint", asgi: "asgiApp", wsgi: "wsgiApp", webServer: "webServer" } as const;

/** Tags `fn` (a function or a method) with its web spec and hands it back unchanged. */
function tagWeb<F>(fn: F, spec: Omit<WebSpec, "sourceName">, context?: ClassMethodDecoratorContext): F {
  refuseLegacyDecorator(DECORATOR_NAMES[spec.kind], context);
  if (typeof fn !== "function") {
    throw new TypeError(`wharf.${DECORATOR_NAMES[spec.kind]}() decorates a function, got ${typeof fn}`);
  }
  const sourceName = context === undefined ? fn.name : String(context.name);
  (fn as Tagged)[WEB_TAG] = { ...spec, sourceName } satisfies WebSpec;
  return fn;
}

function webBase(options: WebOptions): Pick<WebSpec, "label" | "customDomains" | "requiresProxyAuth"> {
  return {
    label: options.label,
    customDomains: [...(options.customDomains ?? [])],
    requiresProxyAuth: options.requiresProxyAuth ?? false,
  };
}

/**
 * A single-route endpoint at `/` for one method, with validation, CORS and optional docs: Modal's
 * `@fastapi_endpoint`. The handler gets `(input, ctx)`: the query object (GET/DELETE/HEAD) or the
 * JSON body (POST/PUT/PATCH), validated by `query`/`body` when given. Defaults: `method: "GET"`,
 * `docs: false`, `requiresProxyAuth: false`, no label (→ `{app}-{function}`).
 *
 * @example
 * export const hello = app.function()(
 *   wharf.fastapiEndpoint({ method: "GET" })(function hello() {
 *     return { message: "Hello, world!" };
 *   }),
 * );
 */
export function fastapiEndpoint<
  B extends StandardSchemaV1 | undefined = undefined,
  Q extends StandardSchemaV1 | undefined = undefined,
  D extends Dependencies = Record<never, never>,
>(options: FastapiEndpointOptions<B, Q, D> = {}): EndpointDecorator<EndpointInput<B, Q>, ResolvedDeps<D>> {
  const spec: Omit<WebSpec, "sourceName"> = {
    kind: "fastapi",
    ...webBase(options),
    method: options.method ?? "GET",
    docs: options.docs ?? false,
    body: options.body,
    query: options.query,
    deps: options.deps,
  };
  return (fn, context) => tagWeb(fn, spec, context);
}

/**
 * Deprecated alias of {@link fastapiEndpoint}: identical behaviour, and one `DeprecationWarning`
 * per process naming `fastapiEndpoint`.
 *
 * @deprecated use `wharf.fastapiEndpoint` instead.
 * @example
 * wharf.webEndpoint({ method: "GET" })(function handler() { return { data: "value" }; });
 */
export function webEndpoint<
  B extends StandardSchemaV1 | undefined = undefined,
  Q extends StandardSchemaV1 | undefined = undefined,
  D extends Dependencies = Record<never, never>,
>(options: FastapiEndpointOptions<B, Q, D> = {}): EndpointDecorator<EndpointInput<B, Q>, ResolvedDeps<D>> {
  const flags = globalThis as Tagged;
  const warned = Symbol.for("wharf.webEndpoint.warned");
  if (flags[warned] !== true) {
    flags[warned] = true;
    process.emitWarning("wharf.webEndpoint is deprecated: use wharf.fastapiEndpoint instead (same options, same behaviour).", {
      type: "DeprecationWarning",
      code: "WHARF_WEB_ENDPOINT",
    });
  }
  return fastapiEndpoint(options);
}

/**
 * Serve a whole fetch-style app (the TypeScript ASGI): the decorated factory is called once per
 * container and must synchronously return an object with `fetch(request)` (Hono, itty-router, H3)
 * or a bare `(request) => Response` function. Every path goes to it.
 *
 * @example
 * export const api = app.function()(
 *   wharf.asgiApp({ label: "my-api" })(function createApp() {
 *     const web = new Hono();
 *     web.get("/", (c) => c.json({ message: "Welcome" }));
 *     return web;
 *   }),
 * );
 */
export function asgiApp(options: WebOptions = {}): FactoryDecorator<FetchApp> {
  const spec: Omit<WebSpec, "sourceName"> = { kind: "asgi", ...webBase(options) };
  return (fn, context) => tagWeb(fn, spec, context);
}

/**
 * Serve a Node request-listener app (the TypeScript WSGI): the decorated factory is called once
 * per container and must synchronously return an Express/Connect app, a Koa app or a Fastify
 * instance (the runtime awaits its `ready()`).
 *
 * @example
 * export const site = app.function()(
 *   wharf.wsgiApp()(function createApp() {
 *     const web = express();
 *     web.get("/", (_req, res) => res.send("Hello from Express!"));
 *     return web;
 *   }),
 * );
 */
export function wsgiApp(options: WebOptions = {}): FactoryDecorator<NodeApp> {
  const spec: Omit<WebSpec, "sourceName"> = { kind: "wsgi", ...webBase(options) };
  return (fn, context) => tagWeb(fn, spec, context);
}

/**
 * Expose any HTTP server the decorated function starts on `port` (in-process or a spawned
 * program). The runtime calls it once per container, waits up to `startupTimeout` seconds
 * (default 5) for the port to accept connections, then proxies every request and WebSocket to it.
 *
 * @example
 * export const files = app.function()(
 *   wharf.webServer(8000, { startupTimeout: 10 })(function fileServer() {
 *     spawn("python3", ["-m", "http.server", "8000"], { stdio: "inherit" });
 *   }),
 * );
 */
export function webServer(port: number, options: WebServerOptions = {}): FactoryDecorator<void> {
  const spec: Omit<WebSpec, "sourceName"> = {
    kind: "webServer",
    ...webBase(options),
    port,
    startupTimeout: options.startupTimeout ?? 5,
  };
  return (fn, context) => tagWeb(fn, spec, context);
}

function lifecycle(which: Lifecycle) {
  return <F extends (...args: never[]) => unknown>(fn: F, _context?: ClassMethodDecoratorContext): F => {
    refuseLegacyDecorator(which, _context);
    (fn as Tagged)[LIFECYCLE_TAG] = which;
    return fn;
  };
}

/**
 * Marks a class method to run once per container before it serves (load a model, open a pool).
 * May be async; the container serves only after it resolves.
 *
 * @example
 * @wharf.enter() async setup() { this.db = await connect(); }
 */
export function enter() {
  return lifecycle("enter");
}

/**
 * Marks a class method to run when its container shuts down (scale-down, reload, Ctrl-C).
 *
 * @example
 * @wharf.exit() async teardown() { await this.db.close(); }
 */
export function exit() {
  return lifecycle("exit");
}

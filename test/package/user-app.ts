/**
 * An app as a user writes it in their own project, using every export of the SDK. The package
 * tests copy it into a temp project that installed Wharf from `npm pack` and type-check it there
 * (nodenext and bundler resolution, strict, only @types/node): each `@ts-expect-error` must still
 * be an error in that project, so the compile-time factory rules hold for users too.
 */
import { createServer } from "node:http";
import * as wharf from "wharf";

const app = new wharf.App("user-app");

const options: wharf.FunctionOptions = { maxContainers: 2, concurrency: { maxInputs: 4 } };
const web: wharf.WebOptions = { label: "user-hello" };
const method: wharf.HttpMethod = "POST";

const name: wharf.StandardSchemaV1<unknown, string> = {
  "~standard": {
    version: 1,
    vendor: "user",
    validate: (value) => (typeof value === "string" ? { value } : { issues: [{ message: "expected a string" }] }),
  },
};
const user = (ctx: wharf.RequestContext): string => ctx.headers.get("x-user") ?? "anonymous";
const deps = { user } satisfies wharf.Dependencies;
const fastapi: wharf.FastapiEndpointOptions<typeof name, undefined, typeof deps> = { method, body: name, deps };

export const hello = app.function(options)(
  wharf.fastapiEndpoint(web)(function hello() {
    return { message: "Hello, world!" };
  }),
);

export const greet = app.function()(
  wharf.fastapiEndpoint(fastapi)((input, ctx: wharf.EndpointContext<{ user: string }>) => {
    if (input === "") throw new wharf.HTTPException(422, "name is empty");
    return { hello: input, by: ctx.deps.user };
  }),
);

export const old = app.function()(wharf.webEndpoint()(() => ({ deprecated: true })));

const fetchApp: wharf.FetchApp = (request) => {
  if (request.headers.get("upgrade") === "websocket") {
    const events: wharf.WSEvents = {
      onMessage(evt: wharf.WSMessageEvent, ws: wharf.WSContext) {
        const data: wharf.WSMessageReceive = evt.data;
        const state: wharf.WSReadyState = ws.readyState;
        ws.send(`${String(data)} ${state}`);
      },
      onClose(evt: wharf.WSCloseEvent) { void evt.code; },
      onError(evt: wharf.WSErrorEvent) { void evt.error; },
    };
    return wharf.upgradeWebSocket(request, events);
  }
  return Response.json({ path: new URL(request.url).pathname });
};
const middleware: wharf.WSMiddleware<wharf.WSHandlerContext> = wharf.upgradeWebSocket(() => ({}));
void middleware;
export const api = app.function()(wharf.asgiApp()(function createApi() { return fetchApp; }));

const nodeApp: wharf.NodeApp = (_req, res) => res.end("node");
export const site = app.function()(wharf.wsgiApp()(function createSite() { return nodeApp; }));

const serverOptions: wharf.WebServerOptions = { startupTimeout: 10 };
export const server = app.function()(
  wharf.webServer(3000, serverOptions)(function start() {
    createServer((_req, res) => res.end("server")).listen(3000);
  }),
);

@app.cls({ minContainers: 0 })
export class Counter {
  count = 0;
  @wharf.enter() setup() { this.count = 0; }
  @wharf.fastapiEndpoint({ method: "GET" }) get() { return { n: ++this.count }; }
  @wharf.exit() teardown() { this.count = -1; }
}

// Typed helpers users write around the decorators.
const endpoint: wharf.EndpointDecorator<unknown, Record<never, never>> = wharf.fastapiEndpoint();
const factory: wharf.FactoryDecorator<wharf.FetchApp> = wharf.asgiApp();
const handler: wharf.Handler<unknown, Record<never, never>> = () => "ok";
void endpoint(handler);
void factory;

try {
  throw new wharf.WharfError("USER", "an error of the SDK's own kind");
} catch (err) {
  if (err instanceof wharf.WharfError) void err.code;
  if (wharf.isWharfError(err)) void err.kind;
}

// ✗ The compile-time factory rules: each line below must stay a type error.
// @ts-expect-error an async factory
wharf.asgiApp()(async function create() { return fetchApp; });
// @ts-expect-error a factory with a parameter
wharf.wsgiApp()(function create(debug: boolean) { return debug ? nodeApp : nodeApp; });
// @ts-expect-error a factory that returns something other than an app
wharf.asgiApp()(function create() { return 42; });

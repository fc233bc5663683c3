/**
 * Two more fetch-style apps for `asgiApp`: an itty-router v5 router, and a bare
 * `(request: Request) => Response` function with hand-written routing and middleware.
 *
 *   npx wharf serve examples/asgi-itty.ts
 *   curl http://asgi-itty-router-dev.localhost:8000/hello/ada     # Hello, ada!
 *   curl http://asgi-itty-bare-dev.localhost:8000/                # {"message":"Welcome"}
 */
import { AutoRouter, type IRequest } from "itty-router";
import * as wharf from "wharf";

const app = new wharf.App("asgi-itty");

// itty-router: AutoRouter turns returned values into JSON responses and unmatched paths into 404s.
// `before` handlers are middleware (returning nothing passes on), `finally` ones see the response.
// The router is returned as is; it is a Proxy that answers to any property name (even `then`).
export const router = app.function()(
  wharf.asgiApp()(function createRouter() {
    const startedAt = new Map<IRequest, number>();
    const web = AutoRouter({
      before: [(request) => void startedAt.set(request, performance.now())],
      finally: [
        (response: Response, request) => {
          const started = startedAt.get(request) ?? performance.now();
          startedAt.delete(request);
          const headers = new Headers(response.headers);
          headers.set("x-app", "asgi-itty");
          headers.set("x-response-time", `${(performance.now() - started).toFixed(1)}ms`);
          return new Response(response.body, { status: response.status, headers });
        },
      ],
    });
    web
      .get("/", () => ({ message: "Welcome" }))
      .post("/items", async (request) => ({ created: await request.json() }))
      .get("/items/:id", ({ params }) => ({ id: params["id"] }))
      .get("/hello/:name", ({ params }) => new Response(`Hello, ${params["name"]}!`));
    return web;
  }),
);

// A bare function app: routing and middleware are just functions.
type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Middleware as a wrapper: adds headers to whatever the wrapped handler answers. */
function withHeaders(handler: FetchHandler, extra: Record<string, string>): FetchHandler {
  return async (request) => {
    const response = await handler(request);
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return new Response(response.body, { status: response.status, headers });
  };
}

async function route(request: Request): Promise<Response> {
  const { pathname, searchParams } = new URL(request.url);
  if (request.method === "GET" && pathname === "/") return Response.json({ message: "Welcome" });
  if (request.method === "POST" && pathname === "/items") {
    return Response.json({ created: await request.json() }, { status: 201 });
  }
  if (request.method === "GET" && pathname === "/echo") {
    return Response.json({ query: Object.fromEntries(searchParams), userAgent: request.headers.get("user-agent") });
  }
  return Response.json({ detail: "Not Found" }, { status: 404 });
}

export const bare = app.function()(
  wharf.asgiApp()(function createBare() {
    return withHeaders(route, { "x-app": "asgi-itty-bare" });
  }),
);

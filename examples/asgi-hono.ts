/**
 * The seed's `@modal.asgi_app` FastAPI example as a Hono app. ASGI's TypeScript counterpart is a
 * fetch-style app: anything with `fetch(request) => Response`. The factory runs once per
 * container; every path of the endpoint's host goes to the app it returns.
 *
 *   npx wharf serve examples/asgi-hono.ts
 *   curl http://asgi-hono-api-dev.localhost:8000/                  # {"message":"Welcome"}
 *   curl -X POST http://asgi-hono-api-dev.localhost:8000/items -H 'content-type: application/json' -d '{"name":"rope"}'
 *   curl http://my-api-dev.localhost:8000/
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import * as wharf from "wharf";

const app = new wharf.App("asgi-hono");

export const api = app.function()(
  wharf.asgiApp()(function createApp() {
    const web = new Hono();

    // Middleware: runs around every route, here timing it and naming the app.
    web.use(async (c, next) => {
      const started = performance.now();
      await next();
      c.header("x-app", "asgi-hono");
      c.header("x-response-time", `${(performance.now() - started).toFixed(1)}ms`);
    });

    web.get("/", (c) => c.json({ message: "Welcome" }));
    web.post("/items", async (c) => c.json({ created: await c.req.json<unknown>() }));
    web.get("/items/:id", (c) => c.json({ id: c.req.param("id") }));
    web.notFound((c) => c.json({ detail: "Not Found" }, 404));
    return web;
  }),
);

// The seed's configuration block. Unlike fastapiEndpoint, an app gets no CORS for free:
// add it as middleware, as here.
export const myApi = app.function()(
  wharf.asgiApp({
    label: "my-api", // http://my-api.localhost:8000 (my-api-dev under `wharf serve`)
    customDomains: ["hono.example.com"],
    requiresProxyAuth: false,
  })(function createApp() {
    const web = new Hono();
    web.use(cors());
    web.get("/", (c) => c.json({ api: "my-api", version: "1.0" }));
    web.get("/health", (c) => c.text("ok"));
    return web;
  }),
);

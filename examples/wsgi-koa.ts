/**
 * The seed's WSGI example with Koa 3. A Koa app is served through its `callback()`, a Node
 * request listener; the factory returns the app and never calls `listen()`.
 *
 *   npx wharf serve examples/wsgi-koa.ts
 *   curl http://wsgi-koa-web-dev.localhost:8000/           # Hello from Koa!
 *   curl http://wsgi-koa-web-dev.localhost:8000/api/data   # {"data":[1,2,3]}
 */
import Koa from "koa";
import * as wharf from "wharf";

const app = new wharf.App("wsgi-koa");

export const web = app.function()(
  wharf.wsgiApp()(function createApp() {
    const koa = new Koa();

    // Middleware: wraps everything after it, here timing the request and naming the app.
    koa.use(async (ctx, next) => {
      const started = performance.now();
      await next();
      ctx.set("x-app", "wsgi-koa");
      ctx.set("x-response-time", `${(performance.now() - started).toFixed(1)}ms`);
    });

    // Routes by hand: Koa itself has no router (koa-router adds one).
    koa.use((ctx) => {
      if (ctx.method !== "GET") {
        ctx.status = 405;
        ctx.set("allow", "GET");
        return;
      }
      if (ctx.path === "/") ctx.body = "Hello from Koa!";
      else if (ctx.path === "/api/data") ctx.body = { data: [1, 2, 3] };
      // anything else: Koa answers 404 "Not Found"
    });
    return koa;
  }),
);

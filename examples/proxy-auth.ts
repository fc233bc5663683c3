/**
 * Proxy authentication: the gateway refuses requests without valid Wharf credentials before any
 * container is reached, and strips the credential headers before forwarding.
 *
 *   npx wharf serve examples/proxy-auth.ts
 *   npx wharf token create            # prints a wk-… key and a ws-… secret
 *   curl -X POST http://proxy-auth-secureendpoint-dev.localhost:8000 \
 *     -H 'Modal-Key: wk-…' -H 'Modal-Secret: ws-…' -H 'content-type: application/json' -d '{"a":1}'
 *   # without the headers: 401 "wharf: missing credentials for proxy authorization"
 */
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("proxy-auth");

export const secureEndpoint = app.function()(
  wharf.fastapiEndpoint({ method: "POST", requiresProxyAuth: true })(function secureEndpoint(data: unknown) {
    // Only reached with Modal-Key and Modal-Secret headers (or Authorization: Bearer wk-….ws-…).
    return { status: "authenticated", received: data };
  }),
);

// The same option protects whole apps. The app never sees the credentials: the gateway removes
// them, so /headers reports them as null.
export const secureApi = app.function()(
  wharf.asgiApp({ requiresProxyAuth: true })(function secureApi() {
    const web = new Hono();
    web.get("/", (c) => c.json({ status: "authenticated" }));
    web.get("/headers", (c) =>
      c.json({
        modalKey: c.req.header("modal-key") ?? null,
        modalSecret: c.req.header("modal-secret") ?? null,
        authorization: c.req.header("authorization") ?? null,
      }),
    );
    return web;
  }),
);

// For contrast: the default, no credentials needed.
export const open = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function open() {
    return { status: "public" };
  }),
);

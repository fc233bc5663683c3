/**
 * CORS for fastapiEndpoint, the equivalent of the CORSMiddleware Modal installs on every
 * `@fastapi_endpoint` (Starlette with allow_origins/methods/headers "*" and credentials).
 * One difference from Starlette: we reflect the Origin on every response, not only when a cookie
 * is sent, because a browser rejects `*` for any credentialed request (cookies, auth headers).
 */

/** What the preflight advertises: every method we could ever route, as Starlette lists them. */
const ALL_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";
const MAX_AGE = "600";

/**
 * True for a CORS preflight: `OPTIONS` with both `Origin` and `Access-Control-Request-Method`.
 * A bare OPTIONS is an ordinary request (it gets a 405 from a GET endpoint). The gateway uses this
 * same rule to let preflights of protected endpoints through without credentials.
 */
export function isPreflight(request: Request): boolean {
  return (
    request.method === "OPTIONS" &&
    request.headers.has("origin") &&
    request.headers.has("access-control-request-method")
  );
}

/** Sets the CORS headers of a simple (non-preflight) response on `headers`, in place. */
export function applyCors(request: Request, headers: Headers): void {
  headers.set("access-control-allow-origin", request.headers.get("origin") ?? "*");
  headers.set("access-control-allow-credentials", "true");
  addVaryOrigin(headers);
}

/** Starlette's preflight answer: 200 "OK", everything the browser asked for allowed. */
export function preflightResponse(request: Request): Response {
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
  applyCors(request, headers);
  headers.set("access-control-allow-methods", ALL_METHODS);
  const requested = request.headers.get("access-control-request-headers");
  if (requested !== null && requested.trim() !== "") headers.set("access-control-allow-headers", requested);
  headers.set("access-control-max-age", MAX_AGE);
  return new Response("OK", { status: 200, headers });
}

/**
 * Adds `Origin` to `Vary` without clobbering what the handler put there (e.g. `Accept-Encoding`),
 * so caches never serve one origin's reflected headers to another.
 */
function addVaryOrigin(headers: Headers): void {
  const vary = headers.get("vary");
  if (vary === null || vary.trim() === "") {
    headers.set("vary", "Origin");
    return;
  }
  const names = vary.split(",").map((name) => name.trim().toLowerCase());
  if (!names.includes("origin") && !names.includes("*")) headers.set("vary", `${vary}, Origin`);
}

/**
 * Everything served at the reserved host `wharf.{domain}`: the dashboard (`/`, its assets, the
 * live feed `/events` as server-sent events, `/api/state`), the pool status JSON (`/status`) and,
 * where given, Prometheus metrics (`/metrics`). With `access`, every page but the sign-in form
 * needs a session (`wharf server`, docs/observability.md).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { asset } from "./assets.ts";
import type { Access } from "./access.ts";
import { snapshot, type DashboardSource } from "./source.ts";

export interface PagesOptions {
  source: DashboardSource;
  /** The JSON of `/status`. */
  status(): unknown;
  /** Sign-in required (wharf server); undefined leaves every page open (wharf serve, loopback). */
  access?: Access | undefined;
  /** Prometheus text of `/metrics`, where served on this host. */
  metrics?: (() => Promise<{ body: string; type: string }>) | undefined;
  /** How often the live feed sends a snapshot. @default 1000 */
  intervalMs?: number | undefined;
}

const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
/** Only our own scripts, styles and feed; no framing (clickjacking). */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function platformPages(options: PagesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const interval = options.intervalMs ?? 1000;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    if (options.access !== undefined && options.access.handle(req, res, path)) return;
    req.resume();
    if (method !== "GET" && method !== "HEAD") return text(res, 405, `wharf: ${method} is not allowed on ${path}`, { allow: "GET, HEAD" });
    if (path === "/" || path === "/index.html") return file(res, "index.html");
    const name = /^\/assets\/([a-z]+\.(?:js|css))$/.exec(path)?.[1];
    if (name !== undefined) return file(res, name);
    if (path === "/status") return json(res, options.status());
    if (path === "/api/state") return json(res, snapshot(options.source));
    if (path === "/events") return events(res, options.source, interval);
    if (path === "/metrics" && options.metrics !== undefined) {
      void options.metrics().then(
        ({ body, type }) => {
          res.writeHead(200, { "content-type": type, ...NO_STORE });
          res.end(body);
        },
        () => text(res, 500, "wharf: metrics could not be collected"),
      );
      return;
    }
    text(res, 404, `wharf: no platform page at ${path} (the dashboard is at /)`);
  };
}

function file(res: ServerResponse, name: string): void {
  const found = asset(name);
  if (found === undefined) return text(res, 404, `wharf: no platform page at /${name}`);
  res.writeHead(200, { "content-type": found.type, "content-length": found.body.length, "content-security-policy": CSP, ...NO_STORE });
  res.end(found.body);
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { "content-type": "application/json", ...NO_STORE });
  res.end(JSON.stringify(value));
}

export function text(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...NO_STORE, ...headers });
  res.end(`${message}\n`);
}

/** The live feed: one `snapshot` event now and every `interval` ms until the client leaves. */
function events(res: ServerResponse, source: DashboardSource, interval: number): void {
  res.writeHead(200, { "content-type": "text/event-stream", connection: "keep-alive", ...NO_STORE });
  const send = (): void => {
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot(source))}\n\n`);
  };
  send();
  const timer = setInterval(send, interval);
  // Not req's "close": that fires once the (empty) request body is read, not when the client leaves.
  res.once("close", () => clearInterval(timer));
}

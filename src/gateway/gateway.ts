/**
 * The gateway: the only public listener. Host → endpoint (route table snapshot), proxy auth,
 * then the function's pool, streaming both ways over the container's Unix socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Dispatcher } from "undici";
import { QueueFullError, RetiredError, UnavailableError, type Member, type Pool } from "../autoscaler/pool.ts";
import type { WebKind } from "../sdk/spec.ts";
import { ENDPOINT_HEADER } from "../runtime/protocol.ts";
import { headerLines, relayUpgrade } from "../runtime/web-server.ts";
import { AUTH_MESSAGES, checkProxyAuth, isCredentialHeader, type Credentials } from "./auth.ts";
import { RESERVED_LABEL } from "./labels.ts";
import { normalizeHost, resolveHost, type Routable, type RouteTable } from "./route-table.ts";

export interface GatewayEndpoint extends Routable {
  kind: WebKind;
  /** The class method this endpoint is, sent to the container in `x-wharf-endpoint`. */
  method: string | null;
  requiresProxyAuth: boolean;
  timeoutMs: number;
  pool: Pool;
}

export interface GatewayOptions {
  /** Checks proxy-auth credentials against the token store. */
  verify: (credentials: Credentials) => boolean;
  /** The JSON served at `http://wharf.{domain}/status` (the platform's reserved host). */
  status?: () => unknown;
}


/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici sets itself: never forwarded. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect", "host"]);

class PlatformError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export class Gateway {
  readonly server: Server;
  private table: RouteTable<GatewayEndpoint> | undefined;

  constructor(private readonly options: GatewayOptions) {
    // requireHostHeader: false lets route() answer a missing Host with a `wharf: ` 400 (SPEC §3)
    // instead of Node's empty 400.
    this.server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, requireHostHeader: false }, (req, res) => void this.handle(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    this.server.on("clientError", (_err, socket: Duplex) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nwharf: malformed request\n");
      else socket.destroy();
    });
  }

  /** Swaps the route table atomically: requests already routed keep their endpoint. */
  setRoutes(table: RouteTable<GatewayEndpoint>): void {
    this.table = table;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private platformPage(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/status" && this.options.status !== undefined) {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(this.options.status()));
      return;
    }
    sendError(res, new PlatformError(404, `wharf: no platform page at ${path ?? "/"} (try /status)`));
  }

  private route(req: IncomingMessage): GatewayEndpoint {
    const host = normalizeHost(req.headers.host);
    if (host === undefined) throw new PlatformError(400, "wharf: missing or malformed Host header");
    const endpoint = this.table === undefined ? undefined : resolveHost(this.table, host);
    if (endpoint === undefined) throw new PlatformError(404, `wharf: no web endpoint at ${host}`);
    if (endpoint.requiresProxyAuth && !(endpoint.kind === "fastapi" && isPreflight(req))) {
      const result = checkProxyAuth(req.headers, this.options.verify);
      if (result !== "ok") throw new PlatformError(401, AUTH_MESSAGES[result]);
    }
    return endpoint;
  }

  private forwardHeaders(req: IncomingMessage, endpoint: GatewayEndpoint): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = (req.rawHeaders[i] ?? "").toLowerCase();
      const value = req.rawHeaders[i + 1] ?? "";
      if (HOP_BY_HOP.has(name) || name === ENDPOINT_HEADER || name.startsWith("x-forwarded-")) continue;
      if (endpoint.requiresProxyAuth && isCredentialHeader(name, value)) continue;
      const prior = headers[name];
      headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
    }
    Object.assign(headers, forwardedHeaders(req));
    if (req.headers.host !== undefined) headers["host"] = req.headers.host;
    if (endpoint.method !== null) headers[ENDPOINT_HEADER] = endpoint.method;
    return headers;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.table !== undefined && normalizeHost(req.headers.host) === `${RESERVED_LABEL}.${this.table.baseDomain}`) {
      this.platformPage(req, res);
      return;
    }
    let endpoint: GatewayEndpoint;
    try {
      endpoint = this.route(req);
    } catch (err) {
      sendError(res, err);
      req.resume();
      return;
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new PlatformError(504, `wharf: ${endpoint.name} did not answer within its timeout of ${endpoint.timeoutMs / 1000}s`)), endpoint.timeoutMs);
    const abortOnClose = (): void => { if (!res.writableFinished) timeout.abort(new Error("client went away")); };
    res.once("close", abortOnClose);
    try {
      await this.proxy(req, res, endpoint, timeout.signal);
    } finally {
      clearTimeout(timer);
      res.off("close", abortOnClose);
    }
  }

  /**
   * Takes a container slot and streams the exchange. A request that provably never reached its
   * container (the socket refused or vanished while connecting) is tried on another one.
   */
  private async proxy(req: IncomingMessage, res: ServerResponse, first: GatewayEndpoint, signal: AbortSignal): Promise<void> {
    let endpoint = first;
    const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
    for (let attempt = 0; ; attempt++) {
      let member: Member;
      try {
        member = await endpoint.pool.acquire(signal);
      } catch (err) {
        if (err instanceof RetiredError) {
          // A pool retired by a reload hands its queued requests back: route them to the new version.
          try {
            endpoint = this.route(req);
          } catch (routeErr) {
            sendError(res, routeErr);
            req.resume();
            return;
          }
          continue;
        }
        sendError(res, poolError(err, endpoint));
        req.resume();
        return;
      }
      try {
        const answer = await member.client.request({
          path: req.url ?? "/",
          method: (req.method ?? "GET") as Dispatcher.HttpMethod,
          headers: this.forwardHeaders(req, endpoint),
          body: hasBody ? req : null,
          signal,
          headersTimeout: 0,
          bodyTimeout: 0,
        });
        res.writeHead(answer.statusCode, responseHeaders(answer.headers));
        await pipeline(answer.body, res);
        return;
      } catch (err) {
        if (attempt < 2 && neverReached(err) && !signal.aborted && !req.readableDidRead) continue;
        if (!res.headersSent) {
          const reason = signal.reason as unknown;
          sendError(res, reason instanceof PlatformError ? reason : new PlatformError(502, `wharf: the container of ${endpoint.name} failed while handling the request`));
        } else res.destroy();
        req.resume();
        return;
      } finally {
        endpoint.pool.release(member);
      }
    }
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    let endpoint: GatewayEndpoint;
    try {
      endpoint = this.route(req);
    } catch (err) {
      const e = err instanceof PlatformError ? err : new PlatformError(500, "wharf: internal error");
      socket.end(`HTTP/1.1 ${e.status} ${e.status === 401 ? "Unauthorized" : "Error"}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${e.message}\n`);
      return;
    }
    const member = await endpoint.pool.acquire(AbortSignal.timeout(endpoint.timeoutMs)).catch(() => undefined);
    if (member === undefined) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nwharf: no container available\n");
      return;
    }
    socket.once("close", () => endpoint.pool.release(member));
    const drop = (name: string, value: string): boolean =>
      name.toLowerCase().startsWith("x-forwarded-") || name.toLowerCase() === ENDPOINT_HEADER || (endpoint.requiresProxyAuth && isCredentialHeader(name, value));
    const extra = Object.entries(forwardedHeaders(req)).map(([k, v]) => `${k}: ${v}`);
    if (endpoint.method !== null) extra.push(`${ENDPOINT_HEADER}: ${endpoint.method}`);
    relayUpgrade(req, socket, head, connect(member.handle.socket), [...headerLines(req, drop), ...extra]);
  }
}

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const prior = req.headers["x-forwarded-for"];
  const client = req.socket.remoteAddress ?? "";
  return {
    "x-forwarded-for": typeof prior === "string" && prior.length > 0 ? `${prior}, ${client}` : client,
    "x-forwarded-proto": "encrypted" in req.socket ? "https" : "http",
    "x-forwarded-host": req.headers.host ?? "",
  };
}

function isPreflight(req: IncomingMessage): boolean {
  return req.method === "OPTIONS" && req.headers.origin !== undefined && req.headers["access-control-request-method"] !== undefined;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** Errors raised before a single byte reached the container. */
function neverReached(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ECONNREFUSED" || code === "ENOENT";
}

function poolError(err: unknown, endpoint: GatewayEndpoint): PlatformError {
  if (err instanceof PlatformError) return err;
  if (err instanceof QueueFullError) return new PlatformError(503, `wharf: ${endpoint.name} is at capacity (queue full); retry later`, { "retry-after": "1" });
  if (err instanceof UnavailableError) return new PlatformError(503, `wharf: ${endpoint.name} is unavailable: ${err.message}`, { "retry-after": "5" });
  return new PlatformError(503, `wharf: ${endpoint.name} is unavailable`, { "retry-after": "5" });
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof PlatformError ? err : new PlatformError(500, "wharf: internal error");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(e.status, { "content-type": "text/plain; charset=utf-8", ...e.headers });
  res.end(`${e.message}\n`);
}

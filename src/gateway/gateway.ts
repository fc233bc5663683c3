/**
 * The gateway: the only public listener. Host → endpoint (route table snapshot), proxy auth,
 * then the function's pool, streaming both ways over the container's Unix socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Server as NetServer, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TlsOptions } from "node:tls";
import { Agent, request as undiciRequest, type Dispatcher } from "undici";
import { RetiredError, type Member, type Pool } from "../autoscaler/pool.ts";
import type { WebKind } from "../sdk/spec.ts";
import { AUTH_MESSAGES, checkProxyAuth, type Credentials } from "./auth.ts";
import { ConnectionCap } from "./connection-cap.ts";
import { HandoffFront, handoffTarget, type FirstHead } from "./handoff.ts";
import { Cancel, forward } from "./forward.ts";
import { isPreflight, requestHeaderList } from "./headers.ts";
import { RESERVED_LABEL } from "./labels.ts";
import { BodyLimit, BUFFERED_BODY_BYTES, DEFAULT_LIMITS, formatBytes, readWhole, type EdgeLimits } from "../shared/limits.ts";
import { admitRequest, bodyTimeout, parserRefusal, rawResponse, type Refusal } from "../shared/refusals.ts";
import { handleUpgrade, type UpgradeContext } from "./upgrade.ts";
import { connectionLost, containerGone, neverReached, PlatformError, poolError, sendError } from "./platform-errors.ts";
import { normalizeHost, resolveHost, type Routable, type RouteTable } from "./route-table.ts";
import type { RequestObserver, RequestRecord } from "../observe/request-record.ts";
import { Trace } from "../observe/trace.ts";

export interface GatewayEndpoint extends Routable {
  kind: WebKind;
  /** The class method this endpoint is, sent to the container in `x-wharf-endpoint`. */
  method: string | null;
  requiresProxyAuth: boolean;
  timeoutMs: number;
  pool: Pool;
  /** The app this endpoint belongs to (for request logs and metrics). */
  app?: string;
}

export interface GatewayOptions {
  /** Checks proxy-auth credentials against the token store. */
  verify: (credentials: Credentials) => boolean;
  /** The JSON served at `http://wharf.{domain}/status` (the platform's reserved host). */
  status?: () => unknown;
  /**
   * Serves every request to the reserved host `wharf.{domain}` instead of the built-in `/status`
   * (the dashboard, src/dashboard/).
   */
  platformPages?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Called once per routed request when it ends (request log, dashboard, metrics: src/observe/). */
  onRequest?: RequestObserver;
  /** Answers an unknown host instead of the plain-text 404 (the HTML page for browsers); false declines. */
  unknownHost?: (req: IncomingMessage, res: ServerResponse, host: string) => boolean;
  /** Limits on what clients may send; each defaults to its `DEFAULT_LIMITS` value (docs/edge.md). */
  limits?: Partial<EdgeLimits>;
  /**
   * The key authorization of a pending ACME HTTP-01 token for a host (docs/domains.md), answered
   * at `/.well-known/acme-challenge/<token>` before routing; undefined sends the request on as usual.
   */
  acmeChallenge?: (host: string, token: string) => string | undefined;
  /**
   * Hand eligible new connections to a container (docs/handoff.md): the plain HTTP listener
   * reads the first request head itself, and only the connections it does not hand over reach
   * the `http.Server`. HTTPS listeners are unaffected.
   * @default false
   */
  handoff?: boolean;
}

const ACME_CHALLENGE_PATH = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/;

/**
 * How long, and how many more body bytes, the gateway reads and discards after refusing a request
 * whose body is still arriving, before closing: closing at once would answer a client that is
 * still sending with a reset, which can destroy the refusal before the client reads it.
 */
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;
/** Tries of a request that provably never reached a container (each on another one). */
const MAX_ATTEMPTS = 5;

export class Gateway {
  readonly server: Server;
  /** Further listeners (HTTPS) sharing this gateway's routes and request handling. */
  private readonly extra: Server[] = [];
  readonly limits: EdgeLimits;
  /** With `handoff`: the TCP listener in front of `server`. */
  private readonly front: HandoffFront | undefined;
  private table: RouteTable<GatewayEndpoint> | undefined;
  /** WebSockets (and other upgrades) in flight, closed with the gateway. */
  private readonly upgraded = new Set<Duplex>();
  /**
   * Connections the gateway gave up on (a parser error, or a refusal answered with `Connection:
   * close`): no request from one is forwarded, not one already parsed nor one pipelined after.
   */
  private readonly broken = new WeakSet<Duplex>();
  /** The latest response on each connection, so a parser error never writes into one mid-way. */
  private readonly responses = new WeakMap<Duplex, ServerResponse>();
  /** Connections answering a refusal, with the function that ends it (and then the connection). */
  private readonly refusing = new WeakMap<Duplex, () => void>();

  /** Open client connections, capped (docs/edge.md, "Connections"). */
  readonly connections: ConnectionCap;

  constructor(private readonly options: GatewayOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.connections = new ConnectionCap(this.limits);
    this.server = this.attach(createServer(this.serverOptions()));
    if (options.handoff === true) {
      this.front = new HandoffFront(this.server, this.limits, (socket, head, bytes) => this.handOff(socket, head, bytes));
    }
    // Counted where they arrive: the front sees every connection first in --handoff mode.
    (this.front?.listener ?? this.server).on("connection", (socket: Socket) => this.admit(socket));
  }

  /** Counts a new connection; one refused by the cap (503) is broken: nothing it sends is forwarded or handed off. */
  private admit(socket: Socket): void {
    if (!this.connections.admit(socket)) this.broken.add(socket);
  }

  /** Hands the connection to a container when `handoffTarget` allows it; it holds the slot until it closes. */
  private handOff(socket: Socket, head: FirstHead, bytes: Buffer): boolean {
    if (this.table === undefined || this.broken.has(socket)) return false;
    const acme = this.options.acmeChallenge === undefined ? undefined : ACME_CHALLENGE_PATH;
    const target = handoffTarget(head, this.table, this.limits, acme);
    if (target === undefined) return false;
    const { endpoint, member, host } = target;
    const handoff = { head: bytes, host, name: endpoint.name, method: endpoint.method, timeoutMs: endpoint.timeoutMs, limits: this.limits };
    // The container serves every request on it now and reports each one for the request log.
    const observe = this.options.onRequest;
    const served = observe === undefined ? undefined : (r: Omit<RequestRecord, "app" | "function" | "container">): void => observe({ ...r, app: endpoint.app ?? null, function: endpoint.pool.name, container: member.handle.id });
    void target.adopt(socket, handoff, served).then(() => endpoint.pool.release(member));
    this.connections.forget(socket); // the container's now
    return true;
  }

  private serverOptions(): ServerOptions {
    return {
      keepAliveTimeout: 65_000,
      // A request's own time is bounded by its endpoint's timeout (504), not by Node.
      requestTimeout: 0,
      headersTimeout: this.limits.headersTimeoutMs,
      // Node checks the headers deadline on this interval (default 30 s, which would stretch it).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.round(this.limits.headersTimeoutMs / 10))),
      maxHeaderSize: this.limits.maxHeaderBytes,
      // Off so that admitRequest() answers a missing Host with a `wharf: ` 400 (docs/reference.md §3).
      requireHostHeader: false,
    };
  }

  /** Hands a listener's requests, upgrades and parser errors to this gateway. */
  private attach<S extends Server>(server: S): S {
    liftHeaderCount(server);
    const busy = (req: IncomingMessage, res: ServerResponse): void => {
      const done = this.connections.busy(req.socket);
      res.once("close", () => {
        done();
        // clientError needs only a response under way: an idle connection keeps none (nor its request) alive.
        if (this.responses.get(req.socket) === res) this.responses.delete(req.socket);
      });
    };
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      busy(req, res);
      void this.handle(req, res, false);
    });
    // Answered here rather than by Node, so a refused request is refused before its body is sent.
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      busy(req, res);
      void this.handle(req, res, true);
    });
    const upgrades: UpgradeContext = { route: (req) => this.route(req), limits: this.limits, broken: this.broken, upgraded: this.upgraded };
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.connections.busy(socket); // for as long as it is open
      void handleUpgrade(upgrades, req, socket, head);
    });
    server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
      socket.on("error", () => socket.destroy());
      socket.end(rawResponse({ status: 405, message: "wharf: CONNECT is not supported (this is not a forward proxy)" }));
    });
    server.on("clientError", (err: Error & { code?: string; reason?: string }, socket: Duplex) => this.clientError(err, socket));
    return server;
  }

  /**
   * Node's parser refused what the client sent (smuggling-prone framing, oversized headers, a
   * headers timeout, …): answer in words, unless a response on this connection is already under
   * way, then close.
   */
  private clientError(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
    this.broken.add(socket);
    // The parser may fail on bytes after a head the gateway already refused (a body it cannot
    // frame, data after `Connection: close`): that refusal is written whole, so let it flush.
    const refusing = this.refusing.get(socket);
    if (refusing !== undefined) {
      refusing();
      return;
    }
    const current = this.responses.get(socket);
    if (!socket.writable || (current !== undefined && current.headersSent && !current.writableFinished)) {
      socket.destroy();
      return;
    }
    socket.on("error", () => socket.destroy());
    socket.end(rawResponse(parserRefusal(err, this.limits)));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  /** Answers a refusal and gives up on the connection: nothing more is read from it. */
  private refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
    this.broken.add(req.socket);
    this.refusing.set(req.socket, refuseUnread(req, res, refusal));
  }

  /** Swaps the route table atomically: requests already routed keep their endpoint. */
  setRoutes(table: RouteTable<GatewayEndpoint>): void {
    this.table = table;
  }

  /** Listens, then sends itself one request through undici (see `warmUp`). Resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    const bound = await listenOn(this.front?.listener ?? this.server, port, host);
    await warmUp(host, bound);
    return bound;
  }

  /**
   * Serves the same routes over HTTPS on another port: `tls` chooses certificates (`SNICallback`).
   * The handshake has the headers timeout to complete.
   */
  listenTls(port: number, host: string, tls: TlsOptions): Promise<number> {
    const server = this.attach(createTlsServer({ ...this.serverOptions(), handshakeTimeout: this.limits.headersTimeoutMs, ...tls }));
    server.on("secureConnection", (socket: Socket) => this.admit(socket));
    this.extra.push(server);
    return listenOn(server, port, host);
  }

  close(): Promise<void> {
    const closing = [this.server, ...this.extra].map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    // Upgraded sockets are no longer the HTTP server's connections: end them ourselves.
    for (const socket of this.upgraded) socket.destroy();
    // Handed-over connections are the containers' to close (they drain when stopped): the
    // front only stops accepting, and drops the connections whose first head is still coming.
    this.front?.close();
    return Promise.all(closing).then(() => undefined);
  }

  /** A pending ACME HTTP-01 token's answer for this request, if it asks for one. */
  private acmeAnswer(req: IncomingMessage): string | undefined {
    if (this.options.acmeChallenge === undefined || (req.method !== "GET" && req.method !== "HEAD")) return undefined;
    const token = ACME_CHALLENGE_PATH.exec((req.url ?? "").split("?")[0] ?? "")?.[1];
    const host = normalizeHost(req.headers.host);
    return token === undefined || host === undefined ? undefined : this.options.acmeChallenge(host, token);
  }

  private platformPage(req: IncomingMessage, res: ServerResponse): void {
    if (this.options.platformPages !== undefined) {
      this.options.platformPages(req, res);
      return;
    }
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

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    if (this.broken.has(req.socket)) {
      req.resume();
      return;
    }
    this.responses.set(req.socket, res);
    const admitted = admitRequest(req, this.limits);
    if ("refusal" in admitted) {
      this.refuse(req, res, admitted.refusal);
      return;
    }
    req.url = admitted.path;
    const keyAuthorization = this.acmeAnswer(req);
    if (keyAuthorization !== undefined) {
      req.resume();
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "no-store" });
      res.end(keyAuthorization);
      return;
    }
    if (this.table !== undefined && normalizeHost(req.headers.host) === `${RESERVED_LABEL}.${this.table.baseDomain}`) {
      this.platformPage(req, res);
      return;
    }
    const trace = new Trace(req, res, this.options.onRequest);
    let endpoint: GatewayEndpoint;
    try {
      endpoint = this.route(req);
    } catch (err) {
      // route() answers 404 only for a host it does not know.
      const host = normalizeHost(req.headers.host);
      if (!(err instanceof PlatformError && err.status === 404 && host !== undefined && this.options.unknownHost?.(req, res, host) === true)) sendError(res, err);
      req.resume();
      return;
    }
    if (expectsContinue) res.writeContinue();
    const buffered = await this.smallBody(req, res);
    if (buffered === "refused") return;
    const cancel = new Cancel();
    const timer = setTimeout(() => cancel.abort(new PlatformError(504, `wharf: ${endpoint.name} did not answer within its timeout of ${endpoint.timeoutMs / 1000}s`)), endpoint.timeoutMs);
    const abortOnClose = (): void => { if (!res.writableFinished) cancel.abort(new Error("client went away")); };
    res.once("close", abortOnClose);
    try {
      await this.proxy(req, res, endpoint, cancel, trace, buffered);
    } finally {
      clearTimeout(timer);
      res.off("close", abortOnClose);
    }
  }

  /**
   * A body of at most `BUFFERED_BODY_BYTES` (by Content-Length), read whole before the request
   * takes an input slot: a client sending it slowly holds no container. Undefined for no body
   * or a larger one (streamed); `"refused"` once answered (408) or the client is gone.
   */
  private async smallBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined | "refused"> {
    const declared = req.headers["content-length"];
    const length = declared === undefined ? 0 : Number(declared);
    if (length === 0 || length > BUFFERED_BODY_BYTES) return undefined;
    const body = await readWhole(req, length, this.limits.bodyTimeoutMs);
    if (body === "timeout") {
      this.refuse(req, res, bodyTimeout(this.limits));
      return "refused";
    }
    return body === "gone" || this.broken.has(req.socket) ? "refused" : body;
  }

  /**
   * Takes a container slot and streams the exchange. A request that provably never reached its
   * container (the socket refused or vanished while connecting) is tried on another one.
   */
  private async proxy(req: IncomingMessage, res: ServerResponse, first: GatewayEndpoint, cancel: Cancel, trace: Trace, buffered: Buffer | undefined): Promise<void> {
    let endpoint = first;
    const hasBody = buffered === undefined && (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined);
    for (let attempt = 0; ; attempt++) {
      let member: Member;
      try {
        // A free slot is taken at once; only a request that queues needs a signal.
        member = endpoint.pool.tryAcquire() ?? (await endpoint.pool.acquire(cancel.signal));
      } catch (err) {
        if (err instanceof RetiredError) {
          // A pool retired by a reload hands its queued requests back: route them to the new version.
          try {
            const next = this.route(req);
            // The table still names the retired pool (its app is being stopped): nothing to wait for.
            if (next.pool === endpoint.pool) throw new PlatformError(503, `wharf: ${endpoint.name} is stopping`, { "retry-after": "5" });
            endpoint = next;
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
      if (this.broken.has(req.socket)) {
        // The parser failed on this connection while the request waited (e.g. a bad chunk size
        // right after the headers): clientError has answered; nothing goes to the container.
        endpoint.pool.release(member);
        return;
      }
      trace.app = endpoint.app ?? null;
      trace.function = endpoint.pool.name;
      trace.container = member.handle.id;
      const streamed = hasBody ? new BodyLimit(req, this.limits.maxBodyBytes, this.limits.bodyTimeoutMs) : null;
      const body = buffered ?? streamed;
      try {
        const options: Dispatcher.DispatchOptions = {
          path: req.url ?? "/",
          method: (req.method ?? "GET") as Dispatcher.HttpMethod,
          headers: requestHeaderList(req, endpoint, trace),
          body,
          headersTimeout: 0,
          bodyTimeout: 0,
        };
        cancel.sent = false;
        await forward(member.client, options, res, cancel);
        return;
      } catch (err) {
        if (streamed?.timedOut === true) {
          this.broken.add(req.socket);
          if (res.headersSent) res.destroy();
          else this.refuse(req, res, bodyTimeout(this.limits));
          return;
        }
        if (streamed?.exceeded === true) {
          // The container got at most the limit; it is told the request was cut off (reset).
          this.broken.add(req.socket);
          if (res.headersSent) res.destroy();
          else this.refuse(req, res, { status: 413, message: `wharf: request body is over the limit of ${formatBytes(this.limits.maxBodyBytes)}` });
          return;
        }
        if (containerGone(err)) endpoint.pool.markGone(member);
        // A buffered body can be sent again; a streamed one only if none of it was read yet. The
        // next attempt takes another container, or waits for a replacement (a gone one is never picked).
        const resend = buffered !== undefined || !req.readableDidRead;
        if (attempt < MAX_ATTEMPTS - 1 && neverReached(err, !hasBody && buffered === undefined, cancel.sent) && !cancel.aborted && resend) continue;
        if (!cancel.aborted && connectionLost(err)) member.lost++;
        if (!res.headersSent) {
          const reason = cancel.reason;
          sendError(res, reason instanceof PlatformError ? reason : new PlatformError(502, `wharf: the container of ${endpoint.name} failed while handling the request`));
        } else res.destroy();
        req.resume();
        return;
      } finally {
        endpoint.pool.release(member);
      }
    }
  }

}

/**
 * Node hides header lines past `maxHeadersCount` (2000) from `req.headers` and `req.rawHeaders`
 * while its parser still frames the request by them: a `Transfer-Encoding` or `Upgrade` behind
 * 2000 fillers would pass every check unseen. Lifted, every line is visible to `admitRequest`,
 * which refuses more than `maxHeaderCount` (the head stays bounded by `maxHeaderBytes`).
 */
export function liftHeaderCount(server: Server): void {
  server.maxHeadersCount = 0;
}

/**
 * undici compiles its HTTP parser (llhttp, WebAssembly) on its first connection, ~20–30 ms that
 * would otherwise land on the first request the gateway forwards, typically a cold start. One
 * request to ourselves (an unknown host: a 404, no container involved) pays it up front.
 */
async function warmUp(host: string, port: number): Promise<void> {
  const target = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  // Its own dispatcher, closed after: no kept-alive connection of ours counts against the caps.
  const dispatcher = new Agent();
  try {
    const answer = await undiciRequest(`http://${target}:${port}/`, { headers: { host: "warm-up.invalid" }, dispatcher });
    await answer.body.dump();
  } catch {
    // a failed warm-up costs only the speed it was meant to win
  } finally {
    await dispatcher.close();
  }
}

function listenOn(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}

/**
 * Answers a refusal with `Connection: close` while the request's body may still be arriving:
 * the answer is complete (it has a Content-Length) as soon as it is written, but the connection is
 * only closed once the client has stopped sending, or after LINGER_MS / LINGER_BYTES of discarded
 * body, so the client reads the refusal instead of a reset.
 */
function refuseUnread(req: IncomingMessage, res: ServerResponse, refusal: Refusal): () => void {
  const body = `${refusal.message}\n`;
  res.writeHead(refusal.status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), connection: "close" });
  res.write(body);
  let discarded = 0;
  const close = (): void => {
    clearTimeout(timer);
    req.off("data", discard);
    res.end();
  };
  const discard = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) close();
  };
  const timer = setTimeout(close, LINGER_MS);
  if (req.complete) close();
  else {
    req.on("data", discard);
    req.once("end", close);
    req.once("close", close);
  }
  return close;
}

/**
 * Connections the gateway handed over (`--handoff`, docs/handoff.md): the container serves every
 * request on them itself, so it applies what the gateway would have — the same admission checks
 * and limits, the Host the connection was routed by (421 otherwise), `X-Forwarded-*` from the
 * real socket, the function's timeout (504) — and closes them as they fall idle, so their input
 * slot frees up. Each one reports `released` when it closes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { normalizeHost } from "../shared/host.ts";
import { formatBytes, type EdgeLimits } from "../shared/limits.ts";
import { admitRequest, bodyTimeout, parserRefusal, rawResponse, type Refusal } from "../shared/refusals.ts";
import { connectionNamed, dropConnectionNamed, isPlatformHeader } from "../shared/forwarding.ts";
import { requestIdFrom, traceparentFrom } from "../shared/trace-ids.ts";
import { ENDPOINT_HEADER, type AdoptMessage, type ServedRecord } from "./protocol.ts";

/** An idle handed-over connection is closed after this long (its input slot frees up). */
export const ADOPTED_KEEP_ALIVE_MS = 5_000;
/** While draining, a connection idle this long is closed; busier ones close after their next answer. */
const DRAIN_IDLE_MS = 1_000;
const LINGER_MS = 2_000;

interface Adopted {
  readonly message: AdoptMessage;
  readonly socket: Socket;
  /** Requests under way on it (a kept-alive HTTP/1.1 connection has at most one at a time here). */
  active: number;
  idleSince: number;
  /** The response under way, if any. */
  response: ServerResponse | undefined;
  /** Refused or timed out: whatever else happens on it is dropped. */
  finished: boolean;
}

export interface AdoptedDeps {
  /** The container's request dispatch (the same one the gateway's requests take). */
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  released(id: number): void;
  /** Each request answered (or cut off) on a handed-over connection, for the gateway's request log. */
  served(id: number, record: ServedRecord): void;
}

export class AdoptedConnections {
  private server: Server | undefined;
  private readonly open = new Map<Socket, Adopted>();
  private draining = false;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AdoptedDeps) {}

  get size(): number {
    return this.open.size;
  }

  adopt(message: AdoptMessage, socket: Socket): void {
    const conn: Adopted = { message, socket, active: 0, idleSince: Date.now(), response: undefined, finished: false };
    this.open.set(socket, conn);
    socket.once("close", () => {
      this.open.delete(socket);
      this.deps.released(message.id);
    });
    socket.on("error", () => socket.destroy());
    // As an http.Server's own connections: a client may half-close after its request.
    socket.allowHalfOpen = true;
    socket.unshift(Buffer.from(message.head, "base64"));
    this.serverFor(message.limits).emit("connection", socket);
    socket.resume();
  }

  /** From now on every answer says `Connection: close`; idle connections close (see DRAIN_IDLE_MS). */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const conn of this.open.values()) {
      if (conn.response !== undefined && !conn.response.headersSent) conn.response.shouldKeepAlive = false;
    }
    const sweep = (): void => {
      const now = Date.now();
      for (const conn of this.open.values()) {
        if (conn.active === 0 && now - conn.idleSince >= DRAIN_IDLE_MS) conn.socket.destroy();
      }
    };
    sweep();
    this.drainTimer = setInterval(sweep, 100);
    this.drainTimer.unref();
  }

  destroyAll(): void {
    clearInterval(this.drainTimer);
    for (const socket of this.open.keys()) socket.destroy();
  }

  /** One http.Server for every adopted connection, made with the gateway's limits. */
  private serverFor(limits: EdgeLimits): Server {
    if (this.server !== undefined) return this.server;
    const server = createServer({
      keepAliveTimeout: ADOPTED_KEEP_ALIVE_MS,
      requestTimeout: 0,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.round(limits.headersTimeoutMs / 10))),
      maxHeaderSize: limits.maxHeaderBytes,
      requireHostHeader: false,
    });
    // Every header line visible to the checks, as at the gateway (liftHeaderCount there).
    server.maxHeadersCount = 0;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.request(req, res, false));
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => this.request(req, res, true));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
      socket.end(rawResponse({ status: 405, message: "wharf: CONNECT is not supported (this is not a forward proxy)" }));
    });
    server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
      const conn = this.open.get(socket as Socket);
      const underway = conn?.response !== undefined && conn.response.headersSent && !conn.response.writableFinished;
      if (conn === undefined || conn.finished || underway || !socket.writable) {
        socket.destroy();
        return;
      }
      conn.finished = true;
      socket.end(rawResponse(parserRefusal(err, limits)));
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
    // Never listens: this starts the tracking behind headersTimeout and closeIdleConnections.
    server.emit("listening");
    this.server = server;
    return server;
  }

  /**
   * What the gateway checks before routing, and the Host this connection was routed by. A
   * refusal ends the connection: nothing more from it reaches the handler.
   */
  private check(req: IncomingMessage, conn: Adopted): Refusal | undefined {
    const admitted = admitRequest(req, conn.message.limits);
    if ("refusal" in admitted) return admitted.refusal;
    const host = normalizeHost(req.headers.host);
    if (host !== conn.message.host) {
      return {
        status: 421,
        message: `wharf: this connection was handed to ${conn.message.name} at ${conn.message.host}; send requests for ${host ?? "another host"} on a new connection`,
      };
    }
    req.url = admitted.path;
    return undefined;
  }

  private request(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const conn = this.open.get(req.socket as Socket);
    if (conn === undefined || conn.finished) {
      req.socket.destroy();
      return;
    }
    conn.active++;
    conn.response = res;
    // The ids the gateway gives every request (src/observe/trace.ts): kept if valid, else new.
    const time = Date.now();
    const began = performance.now();
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    const traceparent = traceparentFrom(req.headers["traceparent"]);
    res.setHeader("x-request-id", requestId);
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    res.once("close", () => {
      this.deps.served(conn.message.id, { time, method, host: req.headers.host ?? "", path, status: res.headersSent ? res.statusCode : 0, durationMs: performance.now() - began, requestId, traceparent });
    });
    res.once("close", () => {
      conn.active--;
      conn.idleSince = Date.now();
      if (conn.response === res) conn.response = undefined;
    });
    if (this.draining) res.shouldKeepAlive = false;
    const refusal = this.check(req, conn);
    if (refusal !== undefined) {
      this.cutOff(conn, req, refusal);
      return;
    }
    forward(req, conn, { "x-request-id": requestId, traceparent });
    dropConnectionNamed(res);
    const { maxBodyBytes: limit, bodyTimeoutMs } = conn.message.limits;
    const declared = req.headers["content-length"];
    if (!req.complete && (req.headers["transfer-encoding"] !== undefined || (declared !== undefined && Number(declared) > 0))) {
      watchBody(req, limit, bodyTimeoutMs,
        () => this.cutOff(conn, req, { status: 413, message: `wharf: request body is over the limit of ${formatBytes(limit)}` }),
        () => this.cutOff(conn, req, bodyTimeout(conn.message.limits)));
    }
    const timer = setTimeout(() => {
      const seconds = conn.message.timeoutMs / 1000;
      this.cutOff(conn, req, { status: 504, message: `wharf: ${conn.message.name} did not answer within its timeout of ${seconds}s` });
    }, conn.message.timeoutMs);
    res.once("close", () => clearTimeout(timer));
    if (expectsContinue) res.writeContinue();
    this.deps.request(req, res);
  }

  /**
   * Ends the connection with `refusal` written straight to the socket (the handler, if it runs,
   * writes into a closed connection), or with a reset when its response has already started.
   */
  private cutOff(conn: Adopted, req: IncomingMessage, refusal: Refusal): void {
    if (conn.finished) return;
    conn.finished = true;
    const { socket } = conn;
    if (conn.response?.headersSent === true || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse(refusal));
    // Read and drop what the client still sends, so it reads the answer rather than a reset.
    req.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const conn = this.open.get(socket as Socket);
    if (conn === undefined || conn.finished) {
      socket.destroy();
      return;
    }
    const refusal = this.check(req, conn);
    if (refusal !== undefined) {
      conn.finished = true;
      socket.end(rawResponse(refusal));
      return;
    }
    forward(req, conn, { "x-request-id": requestIdFrom(req.headers["x-request-id"]), traceparent: traceparentFrom(req.headers["traceparent"]) });
    // An open WebSocket holds its input slot; like any request it ends at the function's timeout.
    conn.active++;
    const cutoff = setTimeout(() => socket.destroy(), conn.message.timeoutMs);
    socket.once("close", () => clearTimeout(cutoff));
    this.deps.upgrade(req, socket, head);
  }
}

/**
 * The headers the gateway would have sent (src/shared/forwarding.ts): no client-sent credentials,
 * `x-wharf-*` or `X-Forwarded-*` (but a prior `X-Forwarded-For` is extended), nor the headers its
 * `Connection` names; forwarding from the real socket; the endpoint's method name.
 */
function forward(req: IncomingMessage, conn: Adopted, ids: { "x-request-id": string; traceparent: string }): void {
  const prior = req.headers["x-forwarded-for"];
  const client = conn.socket.remoteAddress ?? "";
  const set: Record<string, string> = {
    "x-forwarded-for": typeof prior === "string" && prior.length > 0 ? `${prior}, ${client}` : client,
    "x-forwarded-proto": "http",
    "x-forwarded-host": req.headers.host ?? "",
    ...ids,
  };
  if (conn.message.method !== null) set[ENDPOINT_HEADER] = conn.message.method;
  // Connection-named headers go, except the ones this container's own parser frames and routes by.
  const named = connectionNamed(req.rawHeaders);
  for (const kept of ["content-length", "transfer-encoding", "host", "upgrade", "connection"]) named.delete(kept);
  const dropped = (name: string, value: string): boolean => isPlatformHeader(name, value) || named.has(name) || name === "x-request-id" || name === "traceparent";
  const raw: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    if (dropped(name, req.rawHeaders[i + 1] ?? "")) continue;
    raw.push(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
  }
  for (const [name, value] of Object.entries(req.headers)) {
    const values = Array.isArray(value) ? value : [value ?? ""];
    if (values.some((v) => dropped(name, v))) delete req.headers[name];
  }
  for (const [name, value] of Object.entries(set)) {
    raw.push(name, value);
    req.headers[name] = value;
  }
  req.rawHeaders.splice(0, req.rawHeaders.length, ...raw);
}

/**
 * Watches a body as the parser delivers it: past `max` bytes (a chunked one; a Content-Length was
 * checked on admission), `over()` and nothing more; no bytes for `idleMs`, `stalled()`.
 */
function watchBody(req: IncomingMessage, max: number, idleMs: number, over: () => void, stalled: () => void): void {
  let seen = 0;
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    if (idleMs > 0) idle = setTimeout(stalled, idleMs);
  };
  arm();
  req.once("close", () => clearTimeout(idle));
  const push = req.push.bind(req);
  req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null) clearTimeout(idle);
    else if (Buffer.isBuffer(chunk) || typeof chunk === "string") {
      arm();
      seen += chunk.length;
      if (seen > max) {
        clearTimeout(idle);
        over();
        return false;
      }
    }
    return push(chunk, encoding);
  };
}

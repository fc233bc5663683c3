/**
 * WebSocket upgrades inside a container. asgiApp: the upgrade request becomes a `Request` for the
 * fetch app, whose `wharf.upgradeWebSocket` reaches the bridge registered here; the runtime then
 * completes the handshake with `ws` on the raw socket it kept. wsgiApp: the upgrade is emitted as
 * `"upgrade"` on the app (Express, Koa) or on `fastify.server`, as a Node server would.
 */
import type { EventEmitter } from "node:events";
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { RawData, WebSocket, WebSocketServer } from "ws";
import { WEBSOCKET_BRIDGE, type WebSocketBridge, type WSContext, type WSEvents, type WSReadyState } from "../sdk/websocket.ts";

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
type FetchFn = (request: Request) => Response | Promise<Response>;

interface Held {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** Set once the app accepted the upgrade with `wharf.upgradeWebSocket`. */
  events?: WSEvents;
}

/** Marks the Response the bridge hands out; it survives middleware that copies the Response. */
const ACCEPTED_HEADER = "x-wharf-websocket";
/** Response headers that describe a body and never go into a 101 answer. */
const NOT_FOR_HANDSHAKE = new Set([
  ACCEPTED_HEADER, "content-type", "content-length", "transfer-encoding", "connection", "upgrade",
  "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions",
]);

const held = new WeakMap<Request, Held>();
const extraHeaders = new WeakMap<IncomingMessage, string[]>();
const open = new Set<WebSocket>();
/**
 * `ws` is loaded on the first upgrade only: it pulls in zlib, crypto and tls, ~8 MiB of resident
 * memory in every container that never serves a WebSocket.
 */
let wssLoading: Promise<WebSocketServer> | undefined;
function webSocketServer(): Promise<WebSocketServer> {
  wssLoading ??= import("ws").then(({ WebSocketServer: Server }) => {
    const wss = new Server({ noServer: true, clientTracking: false });
    wss.on("headers", (headers: string[], req: IncomingMessage) => headers.push(...(extraHeaders.get(req) ?? [])));
    return wss;
  });
  return wssLoading;
}

const bridge: WebSocketBridge = {
  holds: (request) => held.has(request),
  accept(request, events) {
    const entry = held.get(request);
    if (entry === undefined) throw new Error(`wharf: ${request.url} is not an upgrade request held by the runtime`);
    entry.events = events;
    return new Response(null, { status: 200, headers: { [ACCEPTED_HEADER]: "accepted" } });
  },
};

/** Registers the bridge `wharf.upgradeWebSocket` looks for. Idempotent. */
export function installBridge(): void {
  (globalThis as Record<symbol, WebSocketBridge | undefined>)[WEBSOCKET_BRIDGE] = bridge;
}

/** Upgrades for a fetch-style app: the app decides (through the bridge), the runtime shakes hands. */
export function fetchUpgrade(fetch: FetchFn): UpgradeListener {
  return (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    void answerUpgrade(fetch, { req, socket, head });
  };
}

async function answerUpgrade(fetch: FetchFn, entry: Held): Promise<void> {
  try {
    const request = toRequest(entry.req);
    held.set(request, entry);
    const response = await fetch(request);
    if (entry.events !== undefined && response.headers.has(ACCEPTED_HEADER)) complete(entry, entry.events, response, request.url);
    else await writeResponse(entry.socket, response);
  } catch (err) {
    console.error(err);
    refuse(entry.socket, 500, "Internal Server Error");
  }
}

/**
 * Upgrades for a Node app: emitted as `"upgrade"` on `fastify.server` (a Fastify instance) or on
 * the app itself (Express and Koa apps are EventEmitters). No listener → 404.
 */
export function nodeUpgrade(name: string, app: unknown): UpgradeListener {
  return (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    const target = upgradeTarget(app);
    if (target === undefined || target.listenerCount("upgrade") === 0) {
      refuse(socket, 404, `wharf: ${name} does not accept WebSocket upgrades: its app has no "upgrade" listener (app.on("upgrade", (req, socket, head) => …)); see docs/websockets.md`);
      return;
    }
    target.emit("upgrade", req, socket, head);
  };
}

/** For endpoints that never upgrade (fastapiEndpoint). */
export function refuseUpgrade(message: string): UpgradeListener {
  return (_req, socket) => refuse(socket, 404, message);
}

/** Closes every WebSocket this runtime accepted with 1001 (going away): the container stops. */
export function closeAll(): void {
  for (const ws of open) ws.close(1001, "container stopping");
}

function upgradeTarget(app: unknown): EventEmitter | undefined {
  const server = (app as { server?: unknown } | null)?.server;
  if (isEmitter(server)) return server;
  return isEmitter(app) ? app : undefined;
}

function isEmitter(value: unknown): value is EventEmitter {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const e = value as { emit?: unknown; listenerCount?: unknown };
  return typeof e.emit === "function" && typeof e.listenerCount === "function";
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { method: req.method ?? "GET", headers });
}

function complete(entry: Held, events: WSEvents, response: Response, url: string): void {
  const extra: string[] = [];
  response.headers.forEach((value, name) => {
    if (!NOT_FOR_HANDSHAKE.has(name)) extra.push(`${name}: ${value}`);
  });
  extraHeaders.set(entry.req, extra);
  void webSocketServer().then(
    (wss) => wss.handleUpgrade(entry.req, entry.socket, entry.head, (ws) => attach(ws, events, url)),
    (err: unknown) => {
      console.error("wharf: could not load the ws package for a WebSocket upgrade:", err);
      entry.socket.destroy();
    },
  );
}

function attach(ws: WebSocket, events: WSEvents, url: string): void {
  open.add(ws);
  const context: WSContext = {
    send: (data, options) => ws.send(data, { compress: options?.compress ?? false }),
    close: (code, reason) => ws.close(code, reason),
    get readyState() {
      return ws.readyState as WSReadyState;
    },
    url: new URL(url),
    protocol: ws.protocol === "" ? null : ws.protocol,
    raw: ws,
  };
  ws.on("message", (data: RawData, isBinary: boolean) => {
    const bytes = toBuffer(data);
    const message = isBinary ? new Uint8Array(bytes).buffer : bytes.toString("utf8");
    run("onMessage", () => events.onMessage?.(new MessageEvent("message", { data: message }), context));
  });
  ws.on("close", (code: number, reason: Buffer) => {
    open.delete(ws);
    run("onClose", () => events.onClose?.(new WSCloseEventImpl(code, reason.toString("utf8"), code !== 1006), context));
  });
  ws.on("error", (error: Error) => run("onError", () => events.onError?.(new WSErrorEventImpl(error), context)));
  run("onOpen", () => events.onOpen?.(new Event("open"), context));
}

class WSCloseEventImpl extends Event {
  constructor(readonly code: number, readonly reason: string, readonly wasClean: boolean) {
    super("close");
  }
}

class WSErrorEventImpl extends Event {
  constructor(readonly error: unknown) {
    super("error");
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Runs a user handler: a throw or a rejection is logged, never fatal to the container. */
function run(what: string, handler: () => unknown): void {
  try {
    const result = handler();
    if (result instanceof Promise) result.catch((err: unknown) => console.error(`WebSocket ${what} failed:`, err));
  } catch (err) {
    console.error(`WebSocket ${what} failed:`, err);
  }
}

/** Sends the app's non-101 answer to an upgrade request, body streamed, then closes the connection. */
async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || (STATUS_CODES[response.status] ?? "")}`];
  response.headers.forEach((value, name) => {
    if (name !== "transfer-encoding" && name !== "connection") lines.push(`${name}: ${value}`);
  });
  lines.push("connection: close"); // without content-length, the body ends where the connection does
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  const reader = response.body?.getReader();
  try {
    for (let part = await reader?.read(); part !== undefined && !part.done && !socket.destroyed; part = await reader?.read()) socket.write(part.value);
    socket.end();
  } catch (err) {
    console.error(err);
    socket.destroy();
  } finally {
    void reader?.cancel().catch(() => {});
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = Buffer.from(`${message}\n`);
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head), body]));
}

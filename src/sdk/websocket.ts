/**
 * WebSockets for fetch-style apps (asgiApp): `wharf.upgradeWebSocket`, shaped like Hono's
 * helper. The SDK has no dependencies, so the upgrade itself is done by the runtime, which
 * registers a bridge on `globalThis[Symbol.for("wharf.websocket")]` inside a container.
 */
import { WharfError } from "./errors.ts";

/** `CONNECTING` 0, `OPEN` 1, `CLOSING` 2, `CLOSED` 3, as in the browser's WebSocket. */
export type WSReadyState = 0 | 1 | 2 | 3;

/** A received message: text frames as a string, binary frames as an ArrayBuffer. */
export type WSMessageReceive = string | ArrayBuffer;

/** The connection as the event handlers see it (Hono's `WSContext`). */
export interface WSContext {
  /** Sends a text (string) or binary (ArrayBuffer, Uint8Array, Buffer) message. */
  send(data: string | ArrayBuffer | Uint8Array, options?: { compress?: boolean }): void;
  /** Starts the closing handshake. Default code `1000`. */
  close(code?: number, reason?: string): void;
  readonly readyState: WSReadyState;
  /** The URL of the upgrade request. */
  readonly url: URL | null;
  /** The subprotocol the server selected, or null. */
  readonly protocol: string | null;
  /** The underlying connection: a `WebSocket` of the `ws` package. */
  readonly raw: unknown;
}

/** The `message` event (a real `MessageEvent` at run time); `data` is the message. */
export interface WSMessageEvent {
  readonly type: string;
  readonly data: WSMessageReceive;
}

/** The `close` event: the close code and reason the peer sent (1005 and "" when it sent none). */
export interface WSCloseEvent {
  readonly type: string;
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** The `error` event; `error` is what the connection failed with. */
export interface WSErrorEvent {
  readonly type: string;
  readonly error: unknown;
}

/**
 * Event handlers of one connection (Hono's `WSEvents`). Each may be async; a handler that throws
 * or rejects is logged and the connection stays open.
 */
export interface WSEvents {
  onOpen?(evt: Event, ws: WSContext): void | Promise<void>;
  onMessage?(evt: WSMessageEvent, ws: WSContext): void | Promise<void>;
  onClose?(evt: WSCloseEvent, ws: WSContext): void | Promise<void>;
  onError?(evt: WSErrorEvent, ws: WSContext): void | Promise<void>;
}

/** The least of a Hono `Context` the helper needs: the Request the app received. */
export interface WSHandlerContext {
  req: { raw: Request };
}

/** A Hono-style middleware: answers upgrade requests, passes every other request to `next`. */
export type WSMiddleware<C> = (c: C, next: () => Promise<void>) => Promise<Response | undefined>;

/** What the runtime registers on `globalThis[WEBSOCKET_BRIDGE]` inside a container. */
export interface WebSocketBridge {
  /** True when `request` is an upgrade request whose connection the runtime holds. */
  holds(request: Request): boolean;
  /** Accepts the upgrade with `events`; the app must return the Response this gives. */
  accept(request: Request, events: WSEvents): Response;
}

/** The global key of the runtime's bridge. */
export const WEBSOCKET_BRIDGE: unique symbol = Symbol.for("wharf.websocket");

/**
 * Upgrades a request of an `asgiApp` to a WebSocket. Two forms:
 *
 * - **Hono middleware**: `upgradeWebSocket((c) => events)` answers WebSocket upgrade requests of
 *   its route with the events `createEvents` returns, and passes other requests on to `next()`.
 * - **Direct**: `upgradeWebSocket(request, events)` (or a Hono context instead of the request)
 *   returns the Response to return from your fetch function. A request that is not a WebSocket
 *   upgrade gets `426 Upgrade Required`.
 *
 * Pass the `Request` the runtime gave your app (`c.req.raw` in Hono), not a copy. Outside a
 * Wharf container (no runtime bridge) an upgrade request throws a `WharfError`; other requests
 * pass through, so the app still works under `app.request()` in tests.
 *
 * @example
 * web.get("/ws", wharf.upgradeWebSocket(() => ({
 *   onMessage(evt, ws) { ws.send(evt.data); },
 * })));
 *
 * // or, in a bare fetch function:
 * (request) => new URL(request.url).pathname === "/ws"
 *   ? wharf.upgradeWebSocket(request, { onMessage: (evt, ws) => ws.send(evt.data) })
 *   : new Response("hello");
 */
export function upgradeWebSocket<C extends WSHandlerContext>(createEvents: (c: C) => WSEvents | Promise<WSEvents>): WSMiddleware<C>;
export function upgradeWebSocket(source: Request | WSHandlerContext, events: WSEvents): Response;
export function upgradeWebSocket<C extends WSHandlerContext>(
  first: ((c: C) => WSEvents | Promise<WSEvents>) | Request | WSHandlerContext,
  events?: WSEvents,
): WSMiddleware<C> | Response {
  if (typeof first === "function") {
    const createEvents = first;
    return async (c, next) => {
      if (!wantsWebSocket(c.req.raw)) {
        await next();
        return undefined;
      }
      return upgrade(c.req.raw, await createEvents(c));
    };
  }
  if (events === undefined) throw new TypeError("wharf.upgradeWebSocket(request, events): events is missing");
  return upgrade(first instanceof Request ? first : first.req.raw, events);
}

function upgrade(request: Request, events: WSEvents): Response {
  const bridge = (globalThis as Record<symbol, WebSocketBridge | undefined>)[WEBSOCKET_BRIDGE];
  if (bridge?.holds(request) === true) return bridge.accept(request, events);
  if (!wantsWebSocket(request)) {
    return new Response("expected a WebSocket upgrade request\n", {
      status: 426,
      headers: { "content-type": "text/plain; charset=utf-8", upgrade: "websocket", connection: "Upgrade" },
    });
  }
  if (bridge === undefined) {
    throw new WharfError(
      "WEBSOCKET_NO_RUNTIME",
      "wharf.upgradeWebSocket: no Wharf runtime in this process (globalThis[Symbol.for(\"wharf.websocket\")] is not set). WebSockets are upgraded by the container runtime: serve the app with `wharf serve` or deploy it.",
    );
  }
  throw new WharfError(
    "WEBSOCKET_UNKNOWN_REQUEST",
    `wharf.upgradeWebSocket: ${request.url} is not a request the Wharf runtime received: pass the Request your fetch function was called with (c.req.raw in Hono), not a copy.`,
  );
}

/** An upgrade request as Node recognises one: `Upgrade: websocket` and `Connection: upgrade`. */
function wantsWebSocket(request: Request): boolean {
  const upgradeHeader = request.headers.get("upgrade")?.toLowerCase();
  const connection = request.headers.get("connection")?.toLowerCase() ?? "";
  return upgradeHeader === "websocket" && connection.split(",").some((token) => token.trim() === "upgrade");
}

/**
 * WebSockets with asgiApp and wsgiApp: an echo at `/ws` and a plain HTTP route at `/` in each.
 * An open WebSocket counts as an input of its container (see docs/websockets.md).
 *
 *   npx wharf serve examples/websockets.ts
 *   npx wscat -c ws://websockets-honoapp-dev.localhost:8000/ws     # type a line, get it back
 *   npx wscat -c ws://websockets-fetchapp-dev.localhost:8000/ws
 *   npx wscat -c ws://websockets-expressapp-dev.localhost:8000/ws
 *   npx wscat -c ws://websockets-koaapp-dev.localhost:8000/ws
 *   curl http://websockets-honoapp-dev.localhost:8000/             # Hello from Hono!
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import express from "express";
import { Hono } from "hono";
import Koa from "koa";
import { WebSocketServer } from "ws";
import * as wharf from "wharf";

const app = new wharf.App("websockets");

// Hono: wharf.upgradeWebSocket is a middleware, like Hono's own helper.
export const honoApp = app.function()(
  wharf.asgiApp()(function createApp() {
    const web = new Hono();
    web.get("/", (c) => c.text("Hello from Hono!"));
    web.get("/ws", wharf.upgradeWebSocket(() => ({
      onOpen: (_evt, ws) => ws.send("welcome"),
      onMessage: (evt, ws) => ws.send(evt.data),
    })));
    return web;
  }),
);

// A bare fetch function: upgradeWebSocket(request, events) gives the Response to return.
export const fetchApp = app.function()(
  wharf.asgiApp()(function createApp() {
    return (request: Request) => {
      if (new URL(request.url).pathname !== "/ws") return new Response("Hello from fetch!");
      return wharf.upgradeWebSocket(request, {
        onMessage: (evt, ws) => ws.send(evt.data),
      });
    };
  }),
);

/** A `ws` server that echoes, and the "upgrade" listener that hands it `/ws` connections. */
function echoOn(path: string) {
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (new URL(req.url ?? "/", "http://x").pathname !== path) {
      socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  };
}

// Express: the runtime emits "upgrade" on the app, as a Node server would.
export const expressApp = app.function()(
  wharf.wsgiApp()(function createApp() {
    const web = express();
    web.get("/", (_req, res) => void res.send("Hello from Express!"));
    web.addListener("upgrade", echoOn("/ws")); // Express types `on` for "mount" only
    return web;
  }),
);

// Koa: the same, on the Koa app.
export const koaApp = app.function()(
  wharf.wsgiApp()(function createApp() {
    const koa = new Koa();
    koa.use((ctx) => {
      if (ctx.path === "/") ctx.body = "Hello from Koa!";
    });
    koa.on("upgrade", echoOn("/ws"));
    return koa;
  }),
);

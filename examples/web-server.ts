/**
 * `webServer(port)`: expose any HTTP server the function starts, whether a spawned program or an
 * in-process Node server. The runtime calls the function once per container, waits up to
 * `startupTimeout` seconds for `port` to accept connections, then proxies every request (and
 * WebSocket upgrade) to it. The function returns nothing and must not block.
 *
 *   npx wharf serve examples/web-server.ts                # from the repository root
 *   curl http://my-server-dev.localhost:8000/hello.ts     # a file of examples/, via Python
 *   curl http://web-server-nodeserver-dev.localhost:8000/
 *   curl http://web-server-expressserver-dev.localhost:8000/
 *   npx wscat -c ws://web-server-echo-dev.localhost:8000/ # type a line, get it back
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import express from "express";
import * as wharf from "wharf";
import { WebSocketServer } from "ws";

const app = new wharf.App("web-server");

// One server answers many requests at once, so let each container take many inputs instead of
// starting a container (and a server) per concurrent request.
const manyInputs = { concurrency: { maxInputs: 100 } };

// The seed's file server and its configuration block. Python's built-in server, serving the
// examples directory: relative paths resolve from where `wharf serve` was started.
export const fileServer = app.function(manyInputs)(
  wharf.webServer(8000, {
    startupTimeout: 10, // seconds to wait for port 8000; default 5
    label: "my-server", // http://my-server.localhost:8000 (my-server-dev under `wharf serve`)
    customDomains: ["files.example.com"],
    requiresProxyAuth: false,
  })(function fileServer() {
    const python = spawn("python3", ["-m", "http.server", "8000", "-d", "examples"], { stdio: "inherit" });
    python.on("error", (error) => console.error(`fileServer: could not start python3: ${error.message}`));
    // Don't leave the server behind if this container exits first.
    process.once("exit", () => python.kill());
  }),
);

// A server in the container's own process (the seed's compiled-binary case: any program that
// listens on the port works the same way).
export const nodeServer = app.function(manyInputs)(
  wharf.webServer(3000)(function nodeServer() {
    createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ server: "node:http", method: req.method, path: req.url }));
    }).listen(3000);
  }),
);

// A framework that runs its own server (the seed's aiohttp/Tornado case): Express calling listen().
// Dev servers work the same way, e.g. spawn("npm", ["run", "dev"], { stdio: "inherit" }) for a
// project whose dev server listens on the given port.
export const expressServer = app.function(manyInputs)(
  wharf.webServer(8080)(function expressServer() {
    const server = express();
    server.get("/", (_req, res) => {
      res.send("Hello from Express, listening on 8080!");
    });
    server.listen(8080);
  }),
);

// WebSockets: upgrades pass through the gateway to the server. This one echoes every message back
// and answers plain HTTP requests with a hint.
export const echo = app.function(manyInputs)(
  wharf.webServer(8765)(function echo() {
    const server = createServer((_req, res) => {
      res.setHeader("content-type", "text/plain");
      res.end("WebSocket echo server: connect with a WebSocket client.\n");
    });
    const sockets = new WebSocketServer({ server });
    sockets.on("connection", (socket) => {
      socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    server.listen(8765);
  }),
);

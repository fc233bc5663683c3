/**
 * The server side of the idle-connection profile (bench/idle-connections.mjs, second table):
 * one listener in this process, run with `--expose-gc` and forked with IPC, so its heap can be
 * measured after a full GC. `argv[2]` picks what holds the connections: `net` (a bare
 * `net.Server` answering one fixed response), `http` (a bare `http.Server`, the gateway's
 * options), `gateway` or `handoff` (the Gateway, in-process, no routes: each request is its 404).
 * Sends `{ port }` when listening, then answers `"measure"` with its memory after `gc()`.
 */
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server } from "node:net";
import { Gateway } from "../../src/gateway/gateway.ts";

const mode = process.argv[2] ?? "http";
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("run with --expose-gc");

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

let port: number;
if (mode === "net") {
  const server = createNetServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.on("data", () => socket.write("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n"));
  });
  port = await listening(server);
} else if (mode === "http") {
  const server = createHttpServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 10_000, connectionsCheckingInterval: 1000 }, (_req, res) => {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("no\n");
  });
  port = await listening(server);
} else {
  const gateway = new Gateway({ verify: () => false, handoff: mode === "handoff", limits: { maxConnections: 1_000_000, maxConnectionsPerIp: 1_000_000 } });
  port = await gateway.listen(0, "127.0.0.1");
}

process.on("message", (message) => {
  if (message !== "measure") return;
  collect();
  collect();
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  process.send?.({ rss, heapUsed, heapTotal });
});
process.send?.({ port });

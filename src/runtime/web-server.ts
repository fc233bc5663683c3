/**
 * webServer containers: start the user's server, wait for its port, relay requests and
 * upgrades to it over loopback (inside the container's network namespace when it has one).
 */
import { request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { WharfError } from "../sdk/errors.ts";

export async function waitForPort(name: string, port: number, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await sleep(25);
  }
  throw new WharfError(
    "WEB_SERVER_TIMEOUT",
    `webServer ${name}: nothing listened on port ${port} within ${timeoutSeconds}s (startupTimeout): make the function start a server on port ${port}, or raise startupTimeout.`,
  );
}

/** True when something already accepts connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

export function relayTo(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = httpRequest({ host: "127.0.0.1", port, agent, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`wharf: the web server on port ${port} failed: ${err.message}\n`);
      } else res.destroy(err);
    });
    req.pipe(upstream);
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    relayUpgrade(req, socket, head, connect({ port, host: "127.0.0.1" }));
  };
  return { listener, upgrade, close: () => agent.destroy() };
}

/** The request's header lines as received, minus those `drop` names (lowercase). */
export function headerLines(req: IncomingMessage, drop: (name: string, value: string) => boolean = () => false): string[] {
  const lines: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? "";
    const value = req.rawHeaders[i + 1] ?? "";
    if (!drop(name, value)) lines.push(`${name}: ${value}`);
  }
  return lines;
}

/** Writes the request head to `upstream` and pipes both ways: the WebSocket handshake and frames pass through. */
export function relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: Socket, headers: string[] = headerLines(req)): void {
  const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`, ...headers];
  upstream.once("connect", () => {
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  const fail = (): void => { socket.destroy(); upstream.destroy(); };
  upstream.once("error", fail);
  socket.once("error", fail);
  socket.once("close", () => upstream.destroy());
  upstream.once("close", () => socket.destroy());
}

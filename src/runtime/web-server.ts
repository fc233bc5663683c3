/**
 * webServer containers: start the user's server, wait for its port, relay requests and
 * upgrades to it over loopback (inside the container's network namespace when it has one).
 */
import { request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { WharfError } from "../sdk/errors.ts";
import { connectionNamed } from "../shared/forwarding.ts";
import { relayUpgrade } from "../shared/upgrade-relay.ts";

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

/**
 * The request's headers for the pooled connection to the app: its hop-by-hop ones are the
 * client's connection's (a client's `Connection: close` must not close a pooled one).
 */
function nextHop(req: IncomingMessage): Record<string, string | string[] | undefined> {
  const headers = { ...req.headers };
  for (const name of connectionNamed(req.rawHeaders)) if (name !== "content-length" && name !== "transfer-encoding") delete headers[name];
  delete headers["connection"];
  delete headers["keep-alive"];
  return headers;
}

export function relayTo(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = httpRequest({ host: "127.0.0.1", port, agent, method: req.method, path: req.url, headers: nextHop(req) }, (answer) => {
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

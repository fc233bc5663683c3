/**
 * Relays an upgrade request (a WebSocket handshake, or any `Upgrade:`) to its upstream, and the
 * connection raw both ways only once the upstream accepted it with `101 Switching Protocols`.
 * Until then nothing else the client sent is passed on; any other answer is relayed with
 * `Connection: close` and the connection ends, so a fake upgrade cannot turn a connection into
 * a tunnel whose later requests no check ever sees.
 */
import { request, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connectionNamed } from "./forwarding.ts";

/** After a refused upgrade's answer, how long the client gets to read it before the close. */
const LINGER_MS = 2000;
/** Response headers that are the relay's own framing of a refused upgrade's answer. */
const REFRAMED = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"]);

/** `name: value` pairs, flattened as in `rawHeaders`. */
export type HeaderPairs = string[];

/** The request's header pairs as received, minus those `drop` names. */
export function headerPairs(req: IncomingMessage, drop: (name: string, value: string) => boolean = () => false): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? "";
    const value = req.rawHeaders[i + 1] ?? "";
    if (!drop(name, value)) pairs.push(name, value);
  }
  return pairs;
}

function headLines(statusLine: string, rawHeaders: readonly string[], skip: (name: string) => boolean): string {
  const lines = [statusLine];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (!skip((rawHeaders[i] ?? "").toLowerCase())) lines.push(`${rawHeaders[i] ?? ""}: ${rawHeaders[i + 1] ?? ""}`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

export function relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: Socket, headers: HeaderPairs = headerPairs(req)): void {
  const out = request({
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers,
    setHost: false,
    // With no agent, Node uses this connection alone (never pooled): the tunnel, or closed after.
    createConnection: () => upstream,
  });
  const fail = (): void => {
    socket.destroy();
    upstream.destroy();
  };
  out.once("error", fail);
  socket.once("error", fail);
  socket.once("close", () => upstream.destroy());
  out.once("upgrade", (answer: IncomingMessage, raw: Socket, rawHead: Buffer) => {
    socket.write(`${headLines(`HTTP/1.1 101 ${answer.statusMessage ?? "Switching Protocols"}`, answer.rawHeaders, () => false)}\r\n`);
    if (rawHead.length > 0) socket.write(rawHead);
    if (head.length > 0) raw.write(head);
    raw.once("error", fail);
    raw.once("close", () => socket.destroy());
    raw.pipe(socket).pipe(raw);
  });
  out.once("response", (answer: IncomingMessage) => {
    // Not accepted: what the client sent after its upgrade request is read and dropped.
    socket.on("data", () => {});
    const length = answer.headers["content-length"];
    const framing = length === undefined || answer.headers["transfer-encoding"] !== undefined ? "" : `content-length: ${length}\r\n`;
    const named = connectionNamed(answer.rawHeaders);
    const skip = (n: string): boolean => REFRAMED.has(n) || named.has(n);
    socket.write(`${headLines(`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ""}`, answer.rawHeaders, skip)}${framing}connection: close\r\n\r\n`);
    answer.on("data", (chunk: Buffer) => socket.write(chunk));
    answer.once("end", () => {
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
      upstream.destroy();
    });
    answer.once("error", fail);
  });
  out.end();
}

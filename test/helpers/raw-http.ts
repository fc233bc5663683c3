/**
 * HTTP/1.1 over a raw TCP socket: the bytes a test writes are the bytes the server reads, with no
 * client in between to normalise (or refuse) them. Every socket opened here is destroyed before
 * the promise settles.
 */
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  status: number;
  /** Lowercased names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** Interim (1xx) responses seen before the final one, e.g. `100`. */
  interim: number[];
}

/** What the server did with the connection, when it sent no (complete) response. */
export interface RawNoAnswer {
  status: undefined;
  /** `closed` (FIN), `reset` (ECONNRESET/EPIPE) or `timeout` (no answer within `giveUpMs`). */
  ending: "closed" | "reset" | "timeout";
  received: string;
}

/** A complete chunked body, decoded, or undefined while its last chunk has not arrived. */
function dechunk(body: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol === -1) return undefined;
    const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
    if (size === 0) return Buffer.concat(parts).toString();
    if (body.length < eol + 2 + size + 2) return undefined;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Parses the first complete final response in `data`, or undefined while it is incomplete. */
function parse(data: Buffer, ended: boolean): RawAnswer | undefined {
  const interim: number[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", at);
    if (end === -1) return undefined;
    const [statusLine = "", ...lines] = data.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (Number.isNaN(status)) throw new Error(`not an HTTP response: ${JSON.stringify(data.toString("latin1").slice(0, 200))}`);
    if (status >= 100 && status < 200) {
      interim.push(status);
      at = end + 4;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = data.subarray(end + 4);
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const decoded = dechunk(body);
      return decoded === undefined ? undefined : { status, headers, body: decoded, interim };
    }
    const length = headers["content-length"];
    if (length !== undefined) {
      if (body.length < Number(length)) return ended ? { status, headers, body: body.toString(), interim } : undefined;
      return { status, headers, body: body.subarray(0, Number(length)).toString(), interim };
    }
    return ended ? { status, headers, body: body.toString(), interim } : undefined;
  }
}

export interface RawOptions {
  /** Called once connected with the socket: writes more (e.g. a streamed body) on its own. */
  write?: (socket: Socket, answered: () => boolean) => void;
  /** Give up waiting after this long (a safety net for a hung test, not an assertion). */
  giveUpMs?: number;
}

/**
 * Writes `bytes` to `127.0.0.1:port` and resolves with the first complete response, or with how
 * the connection ended without one.
 */
export function rawRequest(port: number, bytes: string | Buffer, options: RawOptions = {}): Promise<RawAnswer | RawNoAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (answer: RawAnswer | RawNoAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ status: undefined, ending: "timeout", received: data.toString("latin1") }), options.giveUpMs ?? 15_000);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const answer = parse(data, false);
      if (answer !== undefined) finish(answer);
    });
    socket.on("end", () => finish(parse(data, true) ?? { status: undefined, ending: "closed", received: data.toString("latin1") }));
    socket.on("error", () => finish(parse(data, true) ?? { status: undefined, ending: "reset", received: data.toString("latin1") }));
    socket.on("connect", () => {
      socket.write(bytes);
      options.write?.(socket, () => data.length > 0 || settled);
    });
  });
}

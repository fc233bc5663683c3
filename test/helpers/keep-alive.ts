/**
 * One raw kept-alive HTTP/1.1 connection: requests written one after another on the same socket,
 * each answer read whole (Content-Length or chunked framing) before the next. Tells whether the server
 * closed it. Closed by `close()` (and destroyed on any error).
 */
import { connect, type Socket } from "node:net";

export interface KeptAnswer {
  status: number;
  /** Lowercased names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

export class KeptAlive {
  private readonly socket: Socket;
  private data = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;
  readonly ready: Promise<void>;

  /** `localAddress`: the client's own address (another loopback one, `127.0.0.2`, is another client IP). */
  constructor(port: number, localAddress?: string) {
    this.socket = connect({ port, host: "127.0.0.1", ...(localAddress === undefined ? {} : { localAddress }) });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("data", (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.waiting?.();
    });
    const ended = (): void => {
      this.closed = true;
      this.waiting?.();
    };
    this.socket.on("end", ended);
    this.socket.on("close", ended);
    this.socket.on("error", () => this.socket.destroy());
  }

  /** Writes `bytes` and resolves with the next whole answer, or undefined if the connection closed first. */
  async send(bytes: string, giveUpMs = 15_000): Promise<KeptAnswer | undefined> {
    await this.ready;
    this.socket.write(bytes);
    return this.next(giveUpMs);
  }

  /** The next whole answer on the connection, or undefined if it closed first. */
  next(giveUpMs = 15_000): Promise<KeptAnswer | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${giveUpMs} ms; got ${JSON.stringify(this.data.toString("latin1"))}`)), giveUpMs);
      const check = (): void => {
        const answer = this.take();
        if (answer === undefined && !this.closed) return;
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(answer);
      };
      this.waiting = check;
      check();
    });
  }

  /** Resolves once the server has closed the connection. */
  async untilClosed(giveUpMs = 15_000): Promise<void> {
    const deadline = Date.now() + giveUpMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("the connection stayed open");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private take(): KeptAnswer | undefined {
    const end = this.data.indexOf("\r\n\r\n");
    if (end === -1) return undefined;
    const [statusLine = "", ...lines] = this.data.subarray(0, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const eol = this.data.indexOf("\r\n", at);
        if (eol === -1) return undefined;
        const size = parseInt(this.data.subarray(at, eol).toString("latin1"), 16);
        if (this.data.length < eol + 2 + size + 2) return undefined;
        parts.push(this.data.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
      this.data = this.data.subarray(at);
      return { status, headers, body: Buffer.concat(parts).toString() };
    }
    const length = Number(headers["content-length"] ?? 0);
    if (this.data.length < end + 4 + length) return undefined;
    const body = this.data.subarray(end + 4, end + 4 + length).toString();
    this.data = this.data.subarray(end + 4 + length);
    return { status, headers, body };
  }
}

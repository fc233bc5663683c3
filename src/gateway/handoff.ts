/**
 * The front of `--handoff` mode (docs/handoff.md): a plain TCP listener that reads a new
 * connection's first request head itself and either hands the whole connection to a container
 * (established keep-alive traffic then never passes through the gateway) or gives it, bytes
 * unread, to the gateway's `http.Server`, which serves it exactly as without `--handoff`.
 */
import type { Server } from "node:http";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import type { Member, Pool } from "../autoscaler/pool.ts";
import type { ContainerHandle } from "../backends/backend.ts";
import type { EdgeLimits } from "../shared/limits.ts";
import { admitRequest, parserRefusal, rawResponse, type AdmitLimits, type RequestHead } from "../shared/refusals.ts";
import { normalizeHost, resolveHost, type Routable, type RouteTable } from "./route-table.ts";

/** A first request head as read by the front: only what choosing a path needs. */
export interface FirstHead extends RequestHead {
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
}

const REQUEST_LINE = /^([A-Z]+) (\/[!-~]*) HTTP\/(1\.[01])$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space and tab; no control characters (Node's strict parser refuses those too).
const FIELD_VALUE = /^[\t -~]*$/;
const BARE_LF = /(?<!\r)\n/;

/**
 * Reads a head (the bytes before the first CRLFCRLF, excluded). Undefined on anything unusual
 * (bare LF, an obs-fold, a target that is not a path, odd characters): such a request takes the
 * normal path, where Node's strict parser and the gateway's checks answer it.
 */
export function parseFirstHead(head: string): FirstHead | undefined {
  if (head.includes("\r\n\r\n") || /\r(?!\n)|(?<!\r)\n/.test(head)) return undefined;
  const [line, ...fields] = head.split("\r\n");
  const request = REQUEST_LINE.exec(line ?? "");
  if (request === null) return undefined;
  const rawHeaders: string[] = [];
  for (const field of fields) {
    const colon = field.indexOf(":");
    if (colon <= 0) return undefined;
    const name = field.slice(0, colon);
    const value = field.slice(colon + 1).trim();
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return undefined;
    rawHeaders.push(name, value);
  }
  return { method: request[1] ?? "", url: request[2] ?? "", httpVersion: request[3] ?? "", rawHeaders };
}

/** Every value of header `name` (lowercase). */
export function headerValues(head: RequestHead, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i]?.toLowerCase() === name) out.push(head.rawHeaders[i + 1] ?? "");
  }
  return out;
}

/**
 * Whether a first request may leave the gateway with its connection, as far as its head alone
 * says: HTTP/1.1, no body (no Transfer-Encoding, no Content-Length above 0), no `Expect`, not an
 * upgrade nor a CONNECT. Routing, proxy auth, admission and a free slot are checked by the caller.
 */
export function bodylessPlainRequest(head: FirstHead): boolean {
  if (head.httpVersion !== "1.1" || head.method === "CONNECT") return false;
  if (headerValues(head, "transfer-encoding").length > 0 || headerValues(head, "expect").length > 0) return false;
  if (headerValues(head, "upgrade").length > 0) return false;
  if (headerValues(head, "connection").some((v) => /(^|,)\s*upgrade\s*(,|$)/i.test(v))) return false;
  const lengths = headerValues(head, "content-length");
  return lengths.length === 0 || (lengths.length === 1 && /^0+$/.test(lengths[0]?.trim() ?? ""));
}

/** Where a connection goes when it is handed off: a container with a slot taken for it. */
export interface HandoffTarget<E> {
  endpoint: E;
  member: Member;
  /** The normalized Host the connection was routed by. */
  host: string;
  adopt: NonNullable<ContainerHandle["adopt"]>;
}

/**
 * Whether the connection of this first request may leave the gateway, and for where: a bodyless
 * plain request that `admitRequest()` accepts, not an ACME challenge (`acmePath`, when ACME is
 * on), for an endpoint without proxy auth whose pool has a container that can adopt sockets
 * with a free input slot now. The slot is taken; it is the caller's to release. Never queues.
 */
export function handoffTarget<E extends Routable & { requiresProxyAuth: boolean; pool: Pool }>(
  head: FirstHead,
  table: RouteTable<E>,
  limits: AdmitLimits,
  acmePath: RegExp | undefined,
): HandoffTarget<E> | undefined {
  if (!bodylessPlainRequest(head)) return undefined;
  const admitted = admitRequest(head, limits);
  if ("refusal" in admitted) return undefined;
  if (acmePath?.test(admitted.path.split("?")[0] ?? "") === true) return undefined;
  const host = normalizeHost(headerValues(head, "host")[0]);
  const endpoint = host === undefined ? undefined : resolveHost(table, host);
  if (host === undefined || endpoint === undefined || endpoint.requiresProxyAuth) return undefined;
  if (!endpoint.pool.members.every((m) => m.handle.adopt !== undefined)) return undefined;
  const member = endpoint.pool.tryAcquire();
  if (member === undefined) return undefined;
  const adopt = member.handle.adopt?.bind(member.handle);
  if (adopt === undefined) {
    endpoint.pool.release(member);
    return undefined;
  }
  return { endpoint, member, host, adopt };
}

export interface FrontOptions {
  /** Most bytes of request line and headers (the gateway's `maxHeaderBytes`). */
  maxHeaderBytes: number;
  /** Time to receive the first head; later → the gateway's 408 (`timedOut`). */
  headersTimeoutMs: number;
  /**
   * Given the first head and every byte read so far, hands the connection over and returns
   * true, or returns false to let the normal path have it. Called synchronously with reading
   * stopped: nothing more is read from the socket in this process until it returns.
   */
  handOff(socket: Socket, head: FirstHead, bytes: Buffer): boolean;
  /** The normal path: the gateway's `http.Server` gets the connection with `bytes` unread. */
  fallback(socket: Socket, bytes: Buffer): void;
  /** The first head did not arrive within `headersTimeoutMs`. */
  timedOut(socket: Socket): void;
}

interface StreamHandle {
  readStop?(): number;
  reading?: boolean;
}

/** Serves one new connection of the front: reads its first head, then hands it off or falls back. */
export function frontConnection(socket: Socket, options: FrontOptions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => {
    cleanup();
    options.timedOut(socket);
  }, options.headersTimeoutMs);
  const onError = (): void => {
    cleanup();
    socket.destroy();
  };
  const onEnd = (): void => {
    // The client stopped sending before a whole head: nothing to answer.
    cleanup();
    socket.destroy();
  };
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("error", onError);
    socket.off("end", onEnd);
    socket.pause();
  };
  const give = (bytes: Buffer): void => {
    options.fallback(socket, bytes);
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const end = bytes.indexOf("\r\n\r\n", Math.max(0, size - chunk.length - 3));
    if (end === -1) {
      // A bare LF (a head that may never contain CRLFCRLF) or too many bytes: the normal path's
      // parser answers it now, rather than the headers timeout later.
      if (size > options.maxHeaderBytes || BARE_LF.test(bytes.toString("latin1"))) {
        cleanup();
        give(bytes);
      }
      return;
    }
    cleanup();
    const head = end + 4 <= options.maxHeaderBytes ? parseFirstHead(bytes.subarray(0, end).toString("latin1")) : undefined;
    if (head === undefined || socket.readableLength > 0) {
      give(bytes);
      return;
    }
    // Stop the kernel reads in this process before the socket is sent: bytes read after this
    // point would be read here and lost to the container.
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    if (handle?.readStop === undefined) {
      give(bytes);
      return;
    }
    handle.readStop();
    handle.reading = false;
    if (!options.handOff(socket, head, bytes)) give(bytes);
  };
  socket.on("data", onData);
  socket.on("error", onError);
  socket.on("end", onEnd);
}

/** After answering a 408 on the front, how long the client gets to read it before the close. */
const LINGER_MS = 2000;

/**
 * The `--handoff` listener: a `net.Server` whose connections are handed off (`handOff` returns
 * true) or given to `server`, the gateway's `http.Server`, which never listens itself.
 */
export class HandoffFront {
  readonly listener: NetServer;
  /** Connections whose first head is still coming. */
  private readonly reading = new Set<Socket>();
  /** Shared by every connection (`this` is the socket), and removed once its first head is read. */
  private readonly onClose: (this: Socket) => void;

  constructor(
    private readonly server: Server,
    private readonly limits: EdgeLimits,
    private readonly handOff: (socket: Socket, head: FirstHead, bytes: Buffer) => boolean,
  ) {
    const reading = this.reading;
    this.onClose = function (this: Socket) {
      reading.delete(this);
    };
    // The socket options an http.Server gives its connections: they end up in one (or in a container's).
    this.listener = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.connection(socket));
    // This starts the http.Server's connection tracking (headers timeout, closeAllConnections),
    // which Node otherwise starts when it listens.
    server.emit("listening");
  }

  /** Stops accepting and drops connections still sending a first head. Handed-off ones are the containers' to close. */
  close(): void {
    this.listener.close();
    for (const socket of this.reading) socket.destroy();
  }

  private connection(socket: Socket): void {
    this.reading.add(socket);
    socket.on("close", this.onClose);
    const done = (s: Socket): void => {
      this.reading.delete(s);
      s.off("close", this.onClose);
    };
    frontConnection(socket, {
      maxHeaderBytes: this.limits.maxHeaderBytes,
      headersTimeoutMs: this.limits.headersTimeoutMs,
      handOff: (s, head, bytes) => {
        const handed = this.handOff(s, head, bytes);
        if (handed) done(s);
        return handed;
      },
      fallback: (s, bytes) => {
        done(s);
        if (bytes.length > 0) s.unshift(bytes);
        this.server.emit("connection", s);
        // Paused while the head was read: this also restarts reading on the handle.
        s.resume();
      },
      timedOut: (s) => {
        s.on("error", () => s.destroy());
        s.end(rawResponse(parserRefusal({ code: "ERR_HTTP_REQUEST_TIMEOUT" }, this.limits)));
        setTimeout(() => s.destroy(), LINGER_MS).unref();
      },
    });
  }
}

/**
 * The gateway's limits on what a client may send, and the byte counter that enforces the body
 * limit on a streaming request without buffering it.
 */
import type { Readable } from "node:stream";
import { Transform, type TransformCallback } from "node:stream";

export interface EdgeLimits {
  /**
   * Most bytes of request line and headers together (Node's `maxHeaderSize`); more → 431.
   * @default 16384 (16 KiB)
   */
  maxHeaderBytes: number;
  /**
   * Most bytes of request body; a larger `Content-Length` → 413 before any container is reached,
   * a chunked body that grows past it → 413 (or a reset once the response has started).
   * `wharf serve --max-body-mb N`.
   * @default 104857600 (100 MiB)
   */
  maxBodyBytes: number;
  /**
   * Time a client has to send the request line and all headers; slower → 408. Counts from the
   * start of the connection (or of the request, on a kept-alive one).
   * `wharf serve --headers-timeout-ms N`.
   * @default 10000
   */
  headersTimeoutMs: number;
  /**
   * Most header lines in one request head; more → 431 before anything is routed. Every line is
   * inspected (Node's own `maxHeadersCount` of 2000, which silently hides the rest from the
   * checks while the parser still frames by them, is lifted), so this bounds the work per head.
   * @default 100 (Apache's `LimitRequestFields`)
   */
  maxHeaderCount: number;
  /**
   * Longest wait for the next bytes of a request body (like nginx's `client_body_timeout`: per
   * read, not for the whole body); longer → 408. `wharf serve --body-timeout-ms N`.
   * @default 60000
   */
  bodyTimeoutMs: number;
  /**
   * Most open client connections; past it the oldest idle one is closed (503 to a new one when
   * none is idle). `wharf serve --max-connections N`.
   * @default 10000
   */
  maxConnections: number;
  /**
   * Most open connections from one client IP, enforced the same way. Behind a proxy every client
   * shares its IP: raise it there. `wharf serve --max-connections-per-ip N`.
   * @default 1000
   */
  maxConnectionsPerIp: number;
}

/**
 * Bodies up to this size (by `Content-Length`) are read whole before the request takes an input
 * slot, so a client sending slowly holds no container; larger ones stream (never buffered whole).
 */
export const BUFFERED_BODY_BYTES = 64 * 1024;

export const DEFAULT_LIMITS: EdgeLimits = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 100 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  maxHeaderCount: 100,
  bodyTimeoutMs: 60_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 1_000,
};

/** `1 MiB`, `16 KiB`, `1500 bytes`: for messages. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) {
    if (bytes >= size && bytes % (size / 1024) === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Passes a request body through while counting it; past `max` bytes it fails with
 * `exceeded` set and passes none of the chunk that crossed the limit, so the upstream receives
 * at most `max` bytes. It pulls from `source` only once its consumer first reads, so a request
 * whose upstream never connected keeps its body unread (and can be tried on another container).
 */
export class BodyLimit extends Transform {
  private seen = 0;
  private started = false;
  private idle: NodeJS.Timeout | undefined;
  exceeded = false;
  /** No bytes arrived within `idleMs` of the last ones: the body failed with this set. */
  timedOut = false;

  constructor(private readonly source: Readable, private readonly max: number, private readonly idleMs = 0) {
    super();
  }

  override _read(size: number): void {
    if (!this.started) {
      this.started = true;
      this.source.pipe(this);
      this.arm();
      this.source.once("end", () => clearTimeout(this.idle));
      this.once("close", () => clearTimeout(this.idle));
    }
    super._read(size);
  }

  /** Restarts the per-read timeout (see `EdgeLimits.bodyTimeoutMs`). */
  private arm(): void {
    if (this.idleMs <= 0) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.timedOut = true;
      this.source.unpipe(this);
      this.destroy(new Error(`no request body bytes for ${this.idleMs} ms`));
    }, this.idleMs);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.arm();
    this.seen += chunk.length;
    if (this.seen > this.max) {
      this.exceeded = true;
      this.source.unpipe(this);
      done(new Error(`request body over ${this.max} bytes`));
      return;
    }
    done(null, chunk);
  }
}

/**
 * Reads a body of `length` bytes whole (`BUFFERED_BODY_BYTES` at most), waiting at most `idleMs`
 * for each read: the bytes, `"timeout"`, or `"gone"` when the client went away or sent less.
 */
export function readWhole(source: Readable, length: number, idleMs: number): Promise<Buffer | "timeout" | "gone"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let idle: NodeJS.Timeout | undefined;
    const finish = (result: Buffer | "timeout" | "gone"): void => {
      clearTimeout(idle);
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("close", onClose);
      source.off("error", onClose);
      if (result !== "timeout") source.pause();
      resolve(result);
    };
    const arm = (): void => {
      clearTimeout(idle);
      if (idleMs > 0) idle = setTimeout(() => finish("timeout"), idleMs);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      arm();
    };
    const onEnd = (): void => {
      const body = Buffer.concat(chunks);
      finish(body.length === length ? body : "gone");
    };
    const onClose = (): void => finish("gone");
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("close", onClose);
    source.once("error", onClose);
    arm();
  });
}

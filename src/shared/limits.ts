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
}

export const DEFAULT_LIMITS: EdgeLimits = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 100 * 1024 * 1024,
  headersTimeoutMs: 10_000,
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
  exceeded = false;

  constructor(private readonly source: Readable, private readonly max: number) {
    super();
  }

  override _read(size: number): void {
    if (!this.started) {
      this.started = true;
      this.source.pipe(this);
    }
    super._read(size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
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

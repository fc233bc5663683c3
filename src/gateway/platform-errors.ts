/**
 * Platform answers: every error the gateway itself sends is `text/plain` starting with `wharf: `
 * (docs/reference.md §3), with the status that says what happened.
 */
import type { ServerResponse } from "node:http";
import { QueueFullError, StartFailedError, UnavailableError } from "../autoscaler/pool.ts";

export class PlatformError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/**
 * Errors that prove the container never had the request, so it can go to another one: nothing
 * listened (refused, no socket), or undici's pool for it was destroyed before sending it (its
 * exit was seen meanwhile). For a request without a body also a write that failed (EPIPE) or a
 * connection reset with bytes unread (ECONNRESET: the container died before reading the whole
 * head, so it never ran the request; a container that did read it closes cleanly, "other side
 * closed"). With a body, part of it may have been read: those stay 502s.
 */
export function neverReached(err: unknown, bodyless: boolean, sent = false): boolean {
  const code = (err as { code?: string } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ENOENT") return true;
  // The pool was destroyed (its container's exit seen): only a request still waiting for a
  // connection was never sent; one already handed to a connection may have run.
  if (code === "UND_ERR_DESTROYED" || code === "UND_ERR_CLOSED") return !sent;
  return bodyless && (code === "EPIPE" || code === "ECONNRESET");
}

/** The connection to the container broke under a request (its process died, typically). */
export function connectionLost(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE";
}

/** Nothing listens on the container's socket: it is dead, even before its exit is seen. */
export function containerGone(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ECONNREFUSED" || code === "ENOENT";
}

export function poolError(err: unknown, endpoint: { name: string }): PlatformError {
  if (err instanceof PlatformError) return err;
  if (err instanceof QueueFullError) return new PlatformError(503, `wharf: ${endpoint.name} is at capacity (queue full); retry later`, { "retry-after": "1" });
  if (err instanceof StartFailedError) return new PlatformError(503, `wharf: ${err.message}`, { "retry-after": "5" });
  if (err instanceof UnavailableError) return new PlatformError(503, `wharf: ${endpoint.name} is unavailable: ${err.message}`, { "retry-after": "5" });
  return new PlatformError(503, `wharf: ${endpoint.name} is unavailable`, { "retry-after": "5" });
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof PlatformError ? err : new PlatformError(500, "wharf: internal error");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(e.status, { "content-type": "text/plain; charset=utf-8", ...e.headers });
  res.end(`${e.message}\n`);
}

/**
 * Platform answers: every error the gateway itself sends is `text/plain` starting with `wharf: `
 * (SPEC §3), with the status that says what happened.
 */
import type { ServerResponse } from "node:http";
import { QueueFullError, StartFailedError, UnavailableError } from "../autoscaler/pool.ts";

export class PlatformError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Errors raised before a single byte reached the container. */
export function neverReached(err: unknown): boolean {
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

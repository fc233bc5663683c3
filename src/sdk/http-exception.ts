import { HTTP_EXCEPTION_TAG } from "./spec.ts";

/**
 * Throw from a fastapiEndpoint handler or dependency to answer with `status` and
 * `{"detail": detail}`, plus optional headers.
 *
 * @example
 * throw new wharf.HTTPException(404, "item not found");
 * throw new wharf.HTTPException(401, "login first", { "WWW-Authenticate": "Bearer" });
 */
export class HTTPException extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;
  readonly [HTTP_EXCEPTION_TAG] = true;

  /** @param detail default: the status's reason phrase (`"Not Found"` for 404). */
  constructor(status: number, detail?: unknown, headers: Record<string, string> = {}) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.name = "HTTPException";
    this.status = status;
    this.detail = detail ?? defaultDetail(status);
    this.headers = headers;
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  409: "Conflict", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
  503: "Service Unavailable",
};

function defaultDetail(status: number): string {
  return REASONS[status] ?? `HTTP ${status}`;
}

/** True for an HTTPException from any copy of the SDK (a bundle inlines its own). */
export function isHTTPException(value: unknown): value is HTTPException {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[HTTP_EXCEPTION_TAG] === true;
}

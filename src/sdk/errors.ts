/**
 * The one error type of Wharf: a stable `code` from the table of error-codes.ts, a `kind` (the
 * user's mistake or ours: the table's, unless the throw says otherwise) and an optional `cause`.
 * Messages name the thing (function, file, label, port) and say how to fix it.
 */
import { ERROR_CODES, isErrorCode, type ErrorCode } from "./error-codes.ts";

export class WharfError extends Error {
  /** One of the table's codes when Wharf throws it; an app may throw its own (any string). */
  readonly code: ErrorCode | (string & {});
  readonly kind: "user" | "system";

  constructor(code: ErrorCode | (string & {}), message: string, options: { kind?: "user" | "system"; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WharfError";
    this.code = code;
    this.kind = options.kind ?? (isErrorCode(code) ? ERROR_CODES[code].kind : "user");
  }
}

/** A WharfError, also one from another copy of the module (a bundle's own SDK). */
export function isWharfError(err: unknown): err is WharfError {
  return err instanceof WharfError || (err instanceof Error && err.name === "WharfError" && typeof (err as { code?: unknown }).code === "string");
}

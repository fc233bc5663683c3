/**
 * The one error type of Wharf: a stable `code`, a `kind` (the user's mistake or ours) and an
 * optional `cause`. Messages name the thing (function, file, label, port) and say how to fix it.
 */
export class WharfError extends Error {
  readonly code: string;
  readonly kind: "user" | "system";

  constructor(code: string, message: string, options: { kind?: "user" | "system"; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WharfError";
    this.code = code;
    this.kind = options.kind ?? "user";
  }
}

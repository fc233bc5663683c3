/**
 * Proxy auth (docs/reference.md §3): `Modal-Key: wk-…` + `Modal-Secret: ws-…`, or
 * `Authorization: Bearer wk-….ws-…`. Pure: the token store is passed in as `verify`.
 */
import type { IncomingHttpHeaders } from "node:http";

export type AuthResult = "ok" | "missing" | "invalid";

export interface Credentials {
  key: string;
  secret: string;
}

export const AUTH_MESSAGES = {
  missing: "wharf: missing credentials for proxy authorization",
  invalid: "wharf: invalid credentials for proxy authorization",
} as const;

/** The credentials a request carries, `"malformed"` for a half-given or garbled pair, or undefined. */
export function readCredentials(headers: IncomingHttpHeaders): Credentials | "malformed" | undefined {
  const key = headers["modal-key"];
  const secret = headers["modal-secret"];
  if (key !== undefined || secret !== undefined) {
    if (typeof key !== "string" || typeof secret !== "string" || key.length === 0 || secret.length === 0) return "malformed";
    return { key, secret };
  }
  const authorization = headers.authorization;
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(wk-[^.\s]+)\.(ws-\S+)$/i.exec(authorization);
  if (match === null) return /^Bearer\s+wk-/i.test(authorization) ? "malformed" : undefined;
  return { key: match[1] ?? "", secret: match[2] ?? "" };
}

export function checkProxyAuth(headers: IncomingHttpHeaders, verify: (credentials: Credentials) => boolean): AuthResult {
  const credentials = readCredentials(headers);
  if (credentials === undefined) return "missing";
  if (credentials === "malformed") return "invalid";
  return verify(credentials) ? "ok" : "invalid";
}

// One rule for every path: src/shared/forwarding.ts.
export { isCredentialHeader } from "../shared/forwarding.ts";

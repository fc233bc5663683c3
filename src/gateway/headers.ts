/**
 * What crosses the gateway in headers: hop-by-hop ones dropped both ways, credentials of a
 * protected endpoint dropped, `X-Forwarded-*` set from the real connection.
 */
import type { IncomingMessage } from "node:http";
import { ENDPOINT_HEADER } from "../runtime/protocol.ts";
import { isCredentialHeader } from "./auth.ts";

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici sets itself: never forwarded. */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect", "host"]);

/** The headers sent to the container: the client's, minus hop-by-hop and credentials, plus forwarding. */
export function requestHeaders(req: IncomingMessage, endpoint: { method: string | null }): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    const value = req.rawHeaders[i + 1] ?? "";
    if (HOP_BY_HOP.has(name) || name === ENDPOINT_HEADER || name.startsWith("x-forwarded-")) continue;
    // Proxy-auth credentials are the platform's, never an app's: stripped for every endpoint, so
    // an unprotected app cannot collect and replay callers' tokens.
    if (isCredentialHeader(name, value)) continue;
    const prior = headers[name];
    headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  Object.assign(headers, forwardedHeaders(req));
  if (req.headers.host !== undefined) headers["host"] = req.headers.host;
  if (endpoint.method !== null) headers[ENDPOINT_HEADER] = endpoint.method;
  return headers;
}

export function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const prior = req.headers["x-forwarded-for"];
  const client = req.socket.remoteAddress ?? "";
  return {
    "x-forwarded-for": typeof prior === "string" && prior.length > 0 ? `${prior}, ${client}` : client,
    "x-forwarded-proto": "encrypted" in req.socket ? "https" : "http",
    "x-forwarded-host": req.headers.host ?? "",
  };
}

export function isPreflight(req: IncomingMessage): boolean {
  return req.method === "OPTIONS" && req.headers.origin !== undefined && req.headers["access-control-request-method"] !== undefined;
}

export function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

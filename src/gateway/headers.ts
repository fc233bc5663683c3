/**
 * What crosses the gateway in headers: hop-by-hop ones (and those `Connection` names) dropped
 * both ways, the client's credentials and `x-wharf-*` dropped (src/shared/forwarding.ts),
 * `X-Forwarded-*` set from the real connection.
 */
import type { IncomingMessage } from "node:http";
import { ENDPOINT_HEADER } from "../runtime/protocol.ts";
import { connectionNamed, isPlatformHeader } from "../shared/forwarding.ts";

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici sets itself: never forwarded. */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect", "host"]);

/** The headers sent to the container: the client's, minus hop-by-hop and credentials, plus forwarding. */
export function requestHeaders(req: IncomingMessage, endpoint: { method: string | null }): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const named = connectionNamed(req.rawHeaders);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    const value = req.rawHeaders[i + 1] ?? "";
    if (HOP_BY_HOP.has(name) || isPlatformHeader(name, value)) continue;
    // The body's length is the gateway's framing, whatever the client lists in `Connection`.
    if (named.has(name) && name !== "content-length") continue;
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
  const connection = headers["connection"];
  const named = connectionNamed(connection === undefined ? [] : ["connection", Array.isArray(connection) ? connection.join(",") : connection]);
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !(named.has(name) && name !== "content-length")) out[name] = value;
  }
  return out;
}

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

/**
 * The headers sent to the container, as undici's flat `[name, value, …]` list, in one pass over
 * the client's: minus hop-by-hop and what `Connection` names, minus the platform's own headers
 * and credentials (`isPlatformHeader`), plus `X-Forwarded-*`, `Host`, the class method and the
 * request's ids (the client's `x-request-id` and `traceparent` are replaced by `ids`).
 */
export function requestHeaderList(req: IncomingMessage, endpoint: { method: string | null }, ids: { id: string; traceparent: string }): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  const named = req.headers.connection === undefined ? undefined : connectionNamed(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? "").toLowerCase();
    const value = raw[i + 1] ?? "";
    if (HOP_BY_HOP.has(name) || name === "x-request-id" || name === "traceparent") continue;
    // Only names starting with x, m or a can be the platform's (x-wharf-*, x-forwarded-*,
    // modal-key/-secret, authorization): the full check runs on those.
    const first = name.charCodeAt(0);
    if ((first === 0x78 || first === 0x6d || first === 0x61) && isPlatformHeader(name, value)) continue;
    // The body's length is the gateway's framing, whatever the client lists in `Connection`.
    if (named !== undefined && named.has(name) && name !== "content-length") continue;
    out.push(name, value);
  }
  const forwarded = forwardedHeaders(req);
  out.push("x-forwarded-for", forwarded["x-forwarded-for"], "x-forwarded-proto", forwarded["x-forwarded-proto"], "x-forwarded-host", forwarded["x-forwarded-host"]);
  if (req.headers.host !== undefined) out.push("host", req.headers.host);
  if (endpoint.method !== null) out.push(ENDPOINT_HEADER, endpoint.method);
  out.push("x-request-id", ids.id, "traceparent", ids.traceparent);
  return out;
}

export function forwardedHeaders(req: IncomingMessage): { "x-forwarded-for": string; "x-forwarded-proto": string; "x-forwarded-host": string } {
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

const KEEP_ALIVE_OR_CLOSE = /^\s*(keep-alive|close)\s*$/i;

export function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connection = headers["connection"];
  // `Connection: keep-alive` (what a container sends) names only a header that is dropped anyway.
  const plain = connection === undefined || (typeof connection === "string" && KEEP_ALIVE_OR_CLOSE.test(connection));
  const named = plain ? undefined : connectionNamed(["connection", Array.isArray(connection) ? connection.join(",") : connection]);
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !(named !== undefined && named.has(name) && name !== "content-length")) out[name] = value;
  }
  return out;
}

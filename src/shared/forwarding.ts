/**
 * One rule for what a client's headers may carry into a container, on every path (proxied
 * requests, upgrades, handed-off connections): the platform's credentials and the headers the
 * platform sets itself never pass, and neither do headers the client named hop-by-hop.
 */
import type { ServerResponse } from "node:http";

/**
 * Proxy-auth credentials (docs/reference.md §3): `Modal-Key`, `Modal-Secret`, and an `Authorization` in the
 * platform's `Bearer wk-….ws-…` form. Another `Authorization` (Basic, an app's own bearer
 * token) is the app's and passes.
 */
export function isCredentialHeader(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  if (lower === "modal-key" || lower === "modal-secret") return true;
  return lower === "authorization" && /^Bearer\s+wk-/i.test(value);
}

/**
 * A client header no container may see: credentials (stripped for open endpoints too, so an app
 * cannot collect and replay its callers' tokens), `x-wharf-*` (the platform's own, e.g. the
 * class method in `x-wharf-endpoint`) and `x-forwarded-*` (set again from the real connection).
 */
export function isPlatformHeader(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith("x-wharf-") || lower.startsWith("x-forwarded-") || isCredentialHeader(lower, value);
}

/** The header names a message's `Connection` header lists (RFC 9110 §7.6.1), lowercase. */
export function connectionNamed(rawHeaders: readonly string[]): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== "connection") continue;
    for (const token of (rawHeaders[i + 1] ?? "").split(",")) {
      const name = token.trim().toLowerCase();
      if (name.length > 0) named.add(name);
    }
  }
  return named;
}

/**
 * Makes `res` drop, as it writes its head, the headers its own `Connection` header names (an
 * app's hop-by-hop headers are not the client's), as the gateway does for proxied answers.
 * `writeHead` is where every head passes, the implicit one of `res.end()` included.
 */
export function dropConnectionNamed(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (status: number, message?: string) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]): ServerResponse => {
    const message = typeof rest[0] === "string" ? rest[0] : undefined;
    const headers = typeof rest[0] === "string" ? rest[1] : rest[0];
    if (Array.isArray(headers)) {
      const flat = (headers as unknown[]).flat() as string[];
      const grouped = new Map<string, string[]>();
      for (let i = 0; i + 1 < flat.length; i += 2) grouped.set(flat[i] ?? "", [...(grouped.get(flat[i] ?? "") ?? []), String(flat[i + 1])]);
      for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? (values[0] ?? "") : values);
    } else if (typeof headers === "object" && headers !== null) {
      for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
        if (value !== undefined) res.setHeader(name, value as string | number | string[]);
      }
    }
    const connection = res.getHeader("connection");
    const named = connectionNamed(connection === undefined ? [] : ["connection", String(connection)]);
    for (const name of named) {
      if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") res.removeHeader(name);
    }
    return message === undefined ? writeHead(status) : writeHead(status, message);
  }) as ServerResponse["writeHead"];
}

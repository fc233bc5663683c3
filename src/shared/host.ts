/**
 * The one reading of a Host header that routing and every later check share (the gateway, and
 * a container serving a handed-off connection).
 */
/** A DNS name (letters, digits, `-`, dot-separated), an optional trailing dot, an optional port. */
const HOST = /^([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.?(?::[0-9]{0,5})?$/i;

/**
 * Lowercases, drops the port and a trailing dot. Returns undefined for an unusable Host: empty,
 * an IP-v6 literal (it names no endpoint) or anything that is not a DNS name, such as `a b` or
 * `a:b:c`. Idempotent: a normalized host normalizes to itself.
 */
export function normalizeHost(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  // Matched before lowercasing: only ASCII letters count (no Unicode case folding into a name).
  return HOST.exec(host)?.[1]?.toLowerCase();
}

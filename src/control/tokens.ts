/**
 * Proxy-auth tokens (docs/reference.md §3): a public id `wk-…` and a secret `ws-…`, both random base64url.
 * Only the SHA-256 of the secret is stored (the secret has 256 bits of entropy, so a slow hash
 * buys nothing); checks compare hashes with `timingSafeEqual`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Credentials } from "../gateway/auth.ts";
import type { Store, TokenRow } from "./store.ts";

export interface TokenInfo {
  id: string;
  name: string;
  created: number;
  revoked: number | null;
}

/** `wk-` + 128 random bits; the secret `ws-` + 256 random bits. */
export function generateToken(): { id: string; secret: string } {
  return { id: `wk-${randomBytes(16).toString("base64url")}`, secret: `ws-${randomBytes(32).toString("base64url")}` };
}

export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

const TOKEN_ID = /^wk-[A-Za-z0-9_-]{22}$/;

export function isTokenId(id: string): boolean {
  return TOKEN_ID.test(id);
}

const DUMMY = hashSecret("ws-none");

/**
 * Whether `credentials` name a live token among `tokens`. The comparison of secrets is constant
 * time; an unknown id costs the same hash and comparison as a known one.
 */
export function matches(tokens: ReadonlyMap<string, Pick<TokenRow, "secretHash" | "revoked">>, credentials: Credentials): boolean {
  const token = tokens.get(credentials.key);
  const given = hashSecret(credentials.secret);
  const same = timingSafeEqual(given, token?.secretHash.length === 32 ? token.secretHash : DUMMY);
  return same && token !== undefined && token.revoked === null;
}

export function info(row: TokenRow): TokenInfo {
  return { id: row.id, name: row.name, created: row.created, revoked: row.revoked };
}

export function createToken(store: Store, name: string): { id: string; secret: string; name: string; created: number } {
  const token = generateToken();
  const created = Date.now();
  store.addToken({ id: token.id, name, secretHash: hashSecret(token.secret), created });
  return { ...token, name, created };
}

/**
 * The gateway's `verify`: a snapshot of the token table, re-read from the store when it is older
 * than `maxAgeMs` (another process owns the writes: `wharf serve --data`) or when `invalidate()`
 * is called (this process wrote: `wharf server`, on create and revoke).
 */
export class TokenVerifier {
  private snapshot = new Map<string, TokenRow>();
  private readAt = -Infinity;

  /** `open` returns the store to read, or undefined while there is none yet (no DB in the data dir). */
  constructor(private readonly open: () => Store | undefined, private readonly maxAgeMs: number) {}

  invalidate(): void {
    this.readAt = -Infinity;
  }

  readonly verify = (credentials: Credentials): boolean => {
    const now = Date.now();
    if (now - this.readAt >= this.maxAgeMs) {
      try {
        this.snapshot = new Map((this.open()?.tokens() ?? []).map((t) => [t.id, t]));
        this.readAt = now;
      } catch {
        // Fail closed: an unreadable token table admits nobody; the next request reads again.
        this.snapshot = new Map();
      }
    }
    return matches(this.snapshot, credentials);
  };
}

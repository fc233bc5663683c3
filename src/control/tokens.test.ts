import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Store } from "./store.ts";
import { createToken, generateToken, hashSecret, isTokenId, matches, TokenVerifier } from "./tokens.ts";

describe("generateToken", () => {
  it("makes wk-/ws- base64url values with at least 128 random bits each, all different", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const { id, secret } = generateToken();
      expect(isTokenId(id)).toBe(true);
      expect(Buffer.from(id.slice(3), "base64url").length).toBeGreaterThanOrEqual(16);
      expect(secret).toMatch(/^ws-[A-Za-z0-9_-]{43}$/);
      seen.add(id).add(secret);
    }
    expect(seen.size).toBe(200);
  });
});

describe("matches", () => {
  const live: { secretHash: Buffer; revoked: number | null } = { secretHash: hashSecret("ws-right"), revoked: null };
  const table: [string, { key: string; secret: string }, boolean][] = [
    ["the right pair", { key: "wk-1", secret: "ws-right" }, true],
    ["a wrong secret", { key: "wk-1", secret: "ws-wrong" }, false],
    ["an unknown id", { key: "wk-9", secret: "ws-right" }, false],
    ["a revoked token", { key: "wk-2", secret: "ws-right" }, false],
    ["an empty secret", { key: "wk-1", secret: "" }, false],
  ];
  const tokens = new Map([["wk-1", live], ["wk-2", { ...live, revoked: 1 }]]);
  it.each(table)("%s", (_name, credentials, expected) => {
    expect(matches(tokens, credentials)).toBe(expected);
  });
});

describe("TokenVerifier", () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wharf-tokens-"));
    store = Store.open(dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("re-reads the store on invalidate() (wharf server)", () => {
    const verifier = new TokenVerifier(() => store, Infinity);
    expect(verifier.verify({ key: "wk-x", secret: "ws-x" })).toBe(false); // takes the snapshot
    const token = createToken(store, "ci");
    const credentials = { key: token.id, secret: token.secret };
    expect(verifier.verify(credentials)).toBe(false); // not in the snapshot yet
    verifier.invalidate();
    expect(verifier.verify(credentials)).toBe(true);
    store.revokeToken(token.id);
    verifier.invalidate();
    expect(verifier.verify(credentials)).toBe(false);
  });

  it("re-reads once its snapshot is older than maxAgeMs (wharf serve --data)", async () => {
    const verifier = new TokenVerifier(Store.lazyReadOnly(dir), 50);
    const token = createToken(store, "ci");
    const credentials = { key: token.id, secret: token.secret };
    expect(verifier.verify(credentials)).toBe(true);
    store.revokeToken(token.id);
    await new Promise((r) => setTimeout(r, 60));
    expect(verifier.verify(credentials)).toBe(false);
  });

  it("admits nobody while there is no store, and fails closed when it cannot read", () => {
    expect(new TokenVerifier(() => undefined, 0).verify({ key: "wk-1", secret: "ws-1" })).toBe(false);
    const token = createToken(store, "ci");
    const broken = new TokenVerifier(() => {
      throw new Error("disk I/O error");
    }, 0);
    expect(broken.verify({ key: token.id, secret: token.secret })).toBe(false);
  });
});

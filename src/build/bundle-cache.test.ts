import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cacheBundle, KEEP_PER_ENTRY, STALE_MS } from "./bundle-cache.ts";

const hash = (n: number): string => n.toString(16).padStart(4, "0").padEnd(64, "0");

describe("the bundle cache", () => {
  const dirs: string[] = [];
  const temp = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "wharf-cache-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("keeps only the newest bundles of an entry file, the one in use included", () => {
    const dir = temp();
    const paths = Array.from({ length: 12 }, (_, i) => cacheBundle(dir, "/app/a.ts", hash(i), new TextEncoder().encode(`v${i}`), 1_000_000 + i * 1000));
    const left = readdirSync(dir).sort();
    expect(left).toHaveLength(KEEP_PER_ENTRY);
    expect(left).toEqual(paths.slice(-KEEP_PER_ENTRY).map((p) => p.slice(dir.length + 1)).sort());
  });

  it("counts a reused bundle as recent, and keeps other entry files' bundles", () => {
    const dir = temp();
    const first = cacheBundle(dir, "/app/a.ts", hash(0), new Uint8Array([1]), 1_000_000);
    const other = cacheBundle(dir, "/app/b.ts", hash(100), new Uint8Array([2]), 1_000_000);
    for (let i = 1; i < KEEP_PER_ENTRY; i++) cacheBundle(dir, "/app/a.ts", hash(i), new Uint8Array([i]), 1_000_000 + i * 1000);
    expect(cacheBundle(dir, "/app/a.ts", hash(0), new Uint8Array([1]), 2_000_000)).toBe(first); // back to v0
    cacheBundle(dir, "/app/a.ts", hash(50), new Uint8Array([50]), 2_001_000);
    const left = readdirSync(dir);
    expect(left).toContain(first.slice(dir.length + 1));
    expect(left).toContain(other.slice(dir.length + 1));
    expect(left.filter((n) => n.startsWith(first.slice(dir.length + 1, dir.length + 10)))).toHaveLength(KEEP_PER_ENTRY);
  });

  it("removes bundles of any entry unused for a week, old-style names included", () => {
    const dir = temp();
    const old = join(dir, "0123456789abcdef.mjs");
    writeFileSync(old, "old");
    utimesSync(old, 1, 1);
    const now = STALE_MS + 10_000;
    const kept = cacheBundle(dir, "/app/a.ts", hash(1), new Uint8Array([1]), now);
    expect(readdirSync(dir)).toEqual([kept.slice(dir.length + 1)]);
    expect(statSync(kept).mtimeMs).toBe(now);
  });
});

/**
 * Where bundles are written: `node_modules/.cache/wharf/` of the app's project, named by the
 * entry file and the content hash. Every save under `wharf serve` writes one, so the cache keeps
 * only the newest few of each entry file (a running serve uses the newest, and the one before it
 * while that drains) and drops any bundle unused for a week.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Bundles kept per entry file. */
export const KEEP_PER_ENTRY = 5;
/** Bundles of any entry unused this long are removed. */
export const STALE_MS = 7 * 24 * 60 * 60 * 1000;

/** Writes `contents` (named by `hash`) for `entry` into `dir`, then prunes; returns the bundle's path. */
export function cacheBundle(dir: string, entry: string, hash: string, contents: Uint8Array, now = Date.now()): string {
  mkdirSync(dir, { recursive: true });
  const prefix = `${createHash("sha256").update(entry).digest("hex").slice(0, 8)}-`;
  const path = join(dir, `${prefix}${hash.slice(0, 16)}.mjs`);
  if (existsSync(path)) {
    // Reused (a save that changed nothing, or back to an earlier version): it counts as recent.
    utimesSync(path, now / 1000, now / 1000);
  } else {
    // Temp file + rename: another wharf process building the same app never reads it half-written.
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, contents);
    utimesSync(temp, now / 1000, now / 1000);
    renameSync(temp, path);
  }
  prune(dir, prefix, now);
  return path;
}

function prune(dir: string, prefix: string, now: number): void {
  const bundles = readdirSync(dir)
    .filter((name) => name.endsWith(".mjs"))
    .flatMap((name) => {
      try {
        return [{ name, mtime: statSync(join(dir, name)).mtimeMs }];
      } catch {
        return []; // removed meanwhile by another wharf process
      }
    });
  const mine = bundles.filter((b) => b.name.startsWith(prefix)).sort((a, b) => b.mtime - a.mtime);
  const doomed = new Set([...mine.slice(KEEP_PER_ENTRY), ...bundles.filter((b) => now - b.mtime > STALE_MS)].map((b) => b.name));
  for (const name of doomed) rmSync(join(dir, name), { force: true });
}

/**
 * What a sandboxed container's uid (a user of its own, no group of the host's) can reach on the
 * host's filesystem: only what "others" may, so the mode bits' last digit decides.
 */
import { statSync } from "node:fs";
import { dirname, relative, resolve, isAbsolute } from "node:path";

/** True when a user with no relation to the owners can reach `path` (search its directories, read a file, enter a directory). */
export function reachableBy(path: string): boolean {
  let current = resolve(path);
  try {
    const own = statSync(current);
    if ((own.mode & (own.isDirectory() ? 0o001 : 0o004)) === 0) return false;
    while (current !== dirname(current)) {
      current = dirname(current);
      if ((statSync(current).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is `dir` or inside it. */
export function within(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

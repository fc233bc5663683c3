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

/**
 * How a container's uid, as root runs it, reaches `paths` (the project, the agent) when a
 * directory above them is closed to others (`/root` is 0700): that directory is covered by an
 * empty tmpfs and the path's top directory under it bound back in, so the container sees what it
 * would if the closed directory were searchable, and nothing else of it.
 */
export function bindsToReach(paths: string[]): { cover: string[]; bind: string[] } {
  const cover = new Set<string>();
  const bind = new Set<string>();
  for (const path of paths) {
    const parts = resolve(path).split("/").filter((p) => p !== "");
    for (let i = 0; i < parts.length - 1; i++) {
      const dir = `/${parts.slice(0, i + 1).join("/")}`;
      let mode: number;
      try {
        mode = statSync(dir).mode;
      } catch {
        break;
      }
      if ((mode & 0o001) !== 0) continue;
      cover.add(dir);
      bind.add(`${dir}/${parts[i + 1]}`);
      break;
    }
  }
  // A bound directory inside another bound one needs no bind of its own.
  const binds = [...bind].filter((b) => ![...bind].some((other) => other !== b && within(b, other)));
  return { cover: [...cover], bind: binds };
}

/** `reachableBy`, where the directories of `binds` are searchable from the top: what a container sees. */
export function reachableThrough(path: string, binds: string[]): boolean {
  const top = binds.find((b) => within(path, b));
  if (top === undefined) return reachableBy(path);
  let current = resolve(path);
  try {
    const own = statSync(current);
    if ((own.mode & (own.isDirectory() ? 0o001 : 0o004)) === 0) return false;
    while (current !== resolve(top)) {
      current = dirname(current);
      if ((statSync(current).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

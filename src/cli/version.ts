/** Wharf's own version: the package.json beside dist/ (always in the npm tarball). */
import { readFileSync } from "node:fs";

export function wharfVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

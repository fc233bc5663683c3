/**
 * The dashboard's static files (src/dashboard/public/), read once and served by Wharf itself:
 * no CDN, nothing fetched from elsewhere. Found from the package root, so the same code works
 * from dist/ and from src/.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "login.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

function publicDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "src", "dashboard", "public");
    const up = dirname(dir);
    if (up === dir) throw new Error("the dashboard's files (src/dashboard/public) are missing from this installation");
    dir = up;
  }
}

const cache = new Map<string, Buffer>();

/** The file and its content type, or undefined for a name that is not one of the dashboard's. */
export function asset(name: string): { body: Buffer; type: string } | undefined {
  const type = TYPES[name];
  if (type === undefined) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(join(publicDir(), name));
    cache.set(name, body);
  }
  return { body, type };
}

/**
 * The `/docs` page: Swagger UI served entirely by the endpoint itself from the `swagger-ui-dist`
 * package, so it works in air-gapped clusters and never leaks traffic to a CDN (FastAPI's default
 * page loads jsDelivr). Every asset is under `/docs/…`; the page has no inline script, so it also
 * works under a strict Content-Security-Policy.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Files we serve from swagger-ui-dist, and their types. Anything else under /docs/ is a 404. */
const PACKAGE_ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** Our own init script: FastAPI's Swagger UI settings, plus no calls to the online validator. */
const INIT_FILE = "swagger-init.js";
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

/** The bundle is ~1.5 MB: read each file once per container, on first request, then from memory. */
const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** The HTML page of `/docs`, titled like FastAPI's ("<name> - Swagger UI"). */
export function docsPage(title: string): Response {
  const safe = escapeHtml(title);
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${safe} - Swagger UI</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/${INIT_FILE}"></script>
</body>
</html>
`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/**
 * The asset `file` (the part after `/docs/`), or `undefined` when it is not one we serve. Throws
 * when swagger-ui-dist cannot be read: the caller turns that into a logged 500.
 */
export async function docsAsset(file: string): Promise<Response | undefined> {
  if (file === INIT_FILE) {
    return new Response(INIT_SCRIPT, { headers: { "content-type": "text/javascript; charset=utf-8" } });
  }
  const type = Object.hasOwn(PACKAGE_ASSETS, file) ? PACKAGE_ASSETS[file] : undefined;
  if (type === undefined) return undefined;
  let pending = cache.get(file);
  if (pending === undefined) {
    pending = readFile(join(packageDir(), file)).then((buffer) => new Uint8Array(buffer));
    // A failed read must not poison the cache: the next request tries again.
    void pending.catch(() => cache.delete(file));
    cache.set(file, pending);
  }
  const body = await pending;
  // The files only change with the package version, so browsers may keep them for a day.
  return new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
}

/** Resolved lazily, so a runtime without swagger-ui-dist only fails when /docs is asked for. */
function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

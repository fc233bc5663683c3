/** `/docs` and `/openapi.json` through the handler, and the assets from swagger-ui-dist. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { WebSpec } from "../sdk/spec.ts";
import { createFastapiHandler } from "./fastapi.ts";

function serve(options: Omit<Partial<WebSpec>, "kind">) {
  const spec: WebSpec = { kind: "fastapi", customDomains: [], requiresProxyAuth: false, sourceName: "items", ...options };
  return createFastapiHandler(spec, () => ({ ok: true }), { name: "items" });
}

const get = (path: string, init?: RequestInit) => new Request(new URL(path, "http://items.localhost:8000"), init);

describe("docs: true", () => {
  const handler = serve({ method: "POST", docs: true, body: z.object({ name: z.string() }), query: v.object({ dry: v.optional(v.string()) }) });

  it("serves a Swagger UI page that loads only /docs/ assets", async () => {
    const response = await handler(get("/docs"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const html = await response.text();
    expect(html).toContain("<title>items - Swagger UI</title>");
    expect(html).not.toMatch(/https?:\/\//);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(refs.sort()).toEqual(["/docs/favicon-32x32.png", "/docs/swagger-init.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"]);
    // Every referenced asset is served, so the page works with no network at all.
    for (const ref of refs) expect((await handler(get(ref ?? ""))).status).toBe(200);
  });

  it("serves the assets with their content types, byte for byte from swagger-ui-dist", async () => {
    const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    const cases = [
      ["swagger-ui.css", "text/css; charset=utf-8"],
      ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
      ["favicon-32x32.png", "image/png"],
    ] as const;
    for (const [file, type] of cases) {
      const first = await handler(get(`/docs/${file}`));
      expect(first.headers.get("content-type")).toBe(type);
      // Buffer#equals, not toEqual: a deep comparison of the 1.5 MB bundle takes seconds.
      const onDisk = await readFile(join(dir, file));
      expect(Buffer.from(await first.arrayBuffer()).equals(onDisk)).toBe(true);
      // Served again from memory: a fresh body with the same bytes.
      const again = await handler(get(`/docs/${file}`));
      expect(Buffer.from(await again.arrayBuffer()).equals(onDisk)).toBe(true);
    }
  });

  it("points the init script at /openapi.json and away from the online validator", async () => {
    const response = await handler(get("/docs/swagger-init.js"));
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await response.text();
    expect(script).toContain('url: "/openapi.json"');
    expect(script).toContain("validatorUrl: null");
  });

  it("serves /openapi.json built from the schemas", async () => {
    const response = await handler(get("/openapi.json"));
    expect(response.headers.get("content-type")).toBe("application/json");
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      openapi: "3.1.0",
      info: { title: "items" },
      paths: { "/": { post: { operationId: "items", parameters: [{ name: "dry", in: "query", required: false }] } } },
      components: { schemas: { itemsBody: { properties: { name: { type: "string" } } } } },
    });
  });

  it("answers unknown assets with 404, other methods with 405, HEAD without a body", async () => {
    for (const path of ["/docs/index.html", "/docs/../package.json", "/docs/swagger-ui-bundle.js.map", "/docs/"]) {
      expect((await handler(get(path))).status).toBe(404);
    }
    const posted = await handler(get("/openapi.json", { method: "POST" }));
    expect(posted.status).toBe(405);
    expect(posted.headers.get("allow")).toBe("GET, HEAD");
    const head = await handler(get("/docs/swagger-ui.css", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(head.body).toBeNull();
  });
});

describe("docs: false", () => {
  it("answers /docs, its assets and /openapi.json with 404", async () => {
    const handler = serve({ method: "GET", docs: false, query: z.object({ q: z.string() }) });
    for (const path of ["/docs", "/docs/swagger-ui.css", "/docs/swagger-init.js", "/openapi.json"]) {
      const response = await handler(get(path));
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: "Not Found" });
    }
  });
});

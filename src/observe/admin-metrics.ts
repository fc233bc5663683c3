/**
 * `GET /metrics` on `wharf server`'s admin port, in front of the admin API: the same admin token
 * as every admin call (`Authorization: Bearer …`, compared in constant time); any other path goes
 * on to the API.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export function adminMetrics(
  adminToken: string,
  metrics: () => Promise<{ body: string; type: string }>,
  api: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = createHash("sha256").update(adminToken).digest();
  return (req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") {
      void api(req, res);
      return;
    }
    req.resume();
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    if (!timingSafeEqual(createHash("sha256").update(given).digest(), expected)) {
      res.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": "Bearer" });
      res.end("wharf: /metrics needs the admin token (Authorization: Bearer <token from admin.json>)\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("wharf: /metrics takes GET\n");
      return;
    }
    metrics().then(
      ({ body, type }) => {
        res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
        res.end(body);
      },
      () => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("wharf: metrics could not be collected\n");
      },
    );
  };
}

/**
 * Where pods fetch their code: `GET /bundles/{sha256}` with `Authorization: Bearer {token}`, the
 * token the pods get from their Secret. A bundle is served only once a deploy registered it, and
 * its address is its hash, which the pod checks (src/runtime/pod.ts). One runtime image serves
 * every app: no image build per deploy.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export class BundleServer {
  readonly token = randomBytes(24).toString("base64url");
  private readonly bundles = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const sha = /^\/bundles\/([0-9a-f]{64})$/.exec(req.url ?? "")?.[1];
      const given = Buffer.from((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      const expected = Buffer.from(this.token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401, { "content-type": "text/plain" }).end("wharf: a bundle needs the pods' token\n");
        return;
      }
      const path = sha === undefined ? undefined : this.bundles.get(sha);
      if (path === undefined || req.method !== "GET") {
        res.writeHead(404, { "content-type": "text/plain" }).end("wharf: no such bundle\n");
        return;
      }
      res.writeHead(200, { "content-type": "text/javascript" });
      createReadStream(path).pipe(res);
    });
  }

  /** Listens where pods can reach it (the node's or the gateway pod's address). */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        const address = this.server.address() as AddressInfo;
        resolve({ host, port: address.port });
      });
    });
  }

  /** Makes a bundle fetchable; returns its SHA-256 (hex), its address. */
  register(path: string): string {
    let sha = this.hashes.get(path);
    if (sha === undefined) {
      sha = createHash("sha256").update(readFileSync(path)).digest("hex");
      this.hashes.set(path, sha);
    }
    this.bundles.set(sha, path);
    return sha;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

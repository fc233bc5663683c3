/**
 * Custom domains with given certificates (`wharf domain add NAME --cert FILE --key FILE`) served by
 * `wharf server --https-port`: the certificate is chosen by SNI (exact name, then the one-level
 * wildcard), requests reach the same endpoints as over HTTP with `X-Forwarded-Proto: https`, bad
 * pairs are refused in one line, and domains and certificates survive a restart. Certificates
 * come from a throwaway CA made with openssl.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";
import { handshake, httpsGet, makeCa, makeCert, type Pem } from "../helpers/tls.ts";

/** Exit code 1 and exactly one line, `error: …`. */
function expectOneLineError(result: { code: number | null; output: string }, pattern: RegExp): void {
  expect(result.code, result.output).toBe(1);
  const lines = result.output.trim().split("\n");
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

const cnOf = (peer: { subject?: { CN?: string | string[] } }): unknown => peer.subject?.CN;

describe("custom domains over HTTPS with given certificates", () => {
  const temp = tempDataDir("wharf-domains-");
  const data = join(temp.dir, "data");
  let server: Server;
  let httpsPort = 0;
  let ca: string;
  let api: Pem;
  let wildcard: Pem;
  const wharf = (...args: string[]) => cli(data, args);
  let deployed: { code: number | null; output: string };
  const start = async (): Promise<void> => {
    server = await startServer(data, { args: ["--https-port", "0"] });
    httpsPort = Number(/✓ HTTPS https:\/\/127\.0\.0\.1:(\d+)/.exec(await server.waitFor(/✓ HTTPS https:/))?.[1]);
  };

  beforeAll(async () => {
    const authority = makeCa(temp.dir);
    ca = readFileSync(authority.cert, "utf8");
    api = makeCert(temp.dir, "api", ["api.example.test"], authority);
    wildcard = makeCert(temp.dir, "wildcard", ["*.example.test"], authority);
    await start();
    deployed = await wharf("deploy", "test/fixtures/tls-domains.ts");
    expect(deployed.code, deployed.output).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  it("shows each endpoint's custom domains in deploy's output and in app list", async () => {
    expect(deployed.output).toContain(`✓ web function site => http://tls-domains-site.localhost:${server.port} (also api.example.test, *.example.test)`);
    expect(deployed.output).toContain(`✓ web function ordered => http://tls-domains-ordered.localhost:${server.port} (also acme.example.test)`);
    const list = await wharf("app", "list");
    expect(list.output.split("\n")[0]).toMatch(/^NAME +VERSION +STATE +ENDPOINTS +CUSTOM DOMAINS$/);
    expect(list.output).toMatch(/^tls-domains +v1 +active +\S+ \S+ +api\.example\.test \*\.example\.test acme\.example\.test$/m);
    const json = JSON.parse((await wharf("app", "list", "--json")).output) as { name: string; customDomains: string[] }[];
    expect(json.find((a) => a.name === "tls-domains")?.customDomains).toEqual(["api.example.test", "*.example.test", "acme.example.test"]);
  });

  it("refuses bad certificate/key pairs and bad usage, changing nothing", async () => {
    expectOneLineError(await wharf("domain", "add", "api.example.test", "--cert", api.cert, "--key", wildcard.key), /the key does not match the certificate for api\.example\.test/);
    expectOneLineError(await wharf("domain", "add", "other.example.org", "--cert", api.cert, "--key", api.key), /the certificate does not cover other\.example\.org: it is for api\.example\.test/);
    expectOneLineError(await wharf("domain", "add", "x.other.example.org", "--cert", wildcard.cert, "--key", wildcard.key), /does not cover x\.other\.example\.org: it is for \*\.example\.test/);
    expectOneLineError(await wharf("domain", "add", "api.example.test", "--cert", api.key, "--key", api.key), /holds no PEM certificate/);
    expectOneLineError(await wharf("domain", "add", "api.example.test", "--cert", api.cert, "--key", api.cert), /holds no PEM private key/);
    expectOneLineError(await wharf("domain", "add", "api.example.test", "--cert", join(temp.dir, "missing.crt"), "--key", api.key), /cannot read --cert .*missing\.crt: ENOENT/);
    for (const args of [
      ["add", "api.example.test", "--cert", api.cert],
      ["add", "api.example.test", "--cert", api.cert, "--key", api.key, "--acme"],
      ["add", "not a name", "--cert", api.cert, "--key", api.key],
      ["add", "--cert", api.cert, "--key", api.key],
      ["remove"],
      ["frobnicate"],
    ]) {
      expect((await wharf("domain", ...args)).code, args.join(" ")).toBe(2);
    }
    const list = await wharf("domain", "list");
    expect([list.code, list.output]).toEqual([0, "no custom domains: add one with wharf domain add NAME --cert FILE --key FILE, or --acme\n"]);
  }, 90_000); // thirteen CLI processes, one after another, on a shared machine

  it("adds certificates and serves each name the exact certificate first, then the wildcard", async () => {
    const added = await wharf("domain", "add", "api.example.test", "--cert", api.cert, "--key", api.key);
    expect(added.code, added.output).toBe(0);
    expect(added.output).toMatch(/^✓ domain api\.example\.test: certificate for api\.example\.test issued by Wharf Test CA, expires \d{4}-/);
    expect((await wharf("domain", "add", "*.example.test", "--cert", wildcard.cert, "--key", wildcard.key)).code).toBe(0);

    const exact = await httpsGet(httpsPort, "api.example.test", ca);
    expect([exact.status, JSON.parse(exact.text)]).toEqual([200, { endpoint: "site", host: "api.example.test", proto: "https" }]);
    expect(cnOf(exact.peer)).toBe("api.example.test");

    const wild = await httpsGet(httpsPort, "x.example.test", ca);
    expect([wild.status, JSON.parse(wild.text)]).toEqual([200, { endpoint: "site", host: "x.example.test", proto: "https" }]);
    expect(cnOf(wild.peer)).toBe("*.example.test");

    // The certificate follows SNI, the endpoint follows Host: acme.example.test is its own route.
    const routed = await httpsGet(httpsPort, "acme.example.test", ca);
    expect([cnOf(routed.peer), JSON.parse(routed.text)]).toEqual(["*.example.test", { endpoint: "ordered", host: "acme.example.test", proto: "https" }]);
  });

  it("gives no certificate to an unknown SNI name, a name two levels below a wildcard, or no SNI", async () => {
    for (const name of ["unknown.example.org", "a.b.example.test", undefined]) {
      const result = await handshake(httpsPort, name);
      expect("error" in result, String(name)).toBe(true);
    }
    // A known name still completes its handshake on the same listener.
    expect("peer" in (await handshake(httpsPort, "api.example.test"))).toBe(true);
  });

  it("keeps serving the same hosts over HTTP", async () => {
    const answer = await server.request("api.example.test");
    expect([answer.status, answer.json()]).toEqual([200, { endpoint: "site", host: `api.example.test:${server.port}`, proto: "http" }]);
  });

  it("lists domains with source, expiry and status", async () => {
    const list = await wharf("domain", "list");
    expect(list.code).toBe(0);
    const rows = list.output.trim().split("\n");
    expect(rows[0]).toMatch(/^NAME\s+SOURCE\s+EXPIRES\s+STATUS$/);
    expect(rows.slice(1)).toEqual([
      expect.stringMatching(/^\*\.example\.test\s+cert\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+active$/),
      expect.stringMatching(/^api\.example\.test\s+cert\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+active$/),
    ]);
    const json = JSON.parse((await wharf("domain", "list", "--json")).output) as { name: string; expires: number; issuer: string }[];
    const apiCert = new X509Certificate(readFileSync(api.cert));
    expect(json.find((d) => d.name === "api.example.test")).toMatchObject({ issuer: "Wharf Test CA", expires: Date.parse(apiCert.validTo) });
  });

  it("keeps domains and certificates across a restart, the keys in the 0600 database", async () => {
    await server.stop();
    await start();
    expect(cnOf((await httpsGet(httpsPort, "api.example.test", ca)).peer)).toBe("api.example.test");
    expect(cnOf((await httpsGet(httpsPort, "y.example.test", ca)).peer)).toBe("*.example.test");
    expect((await wharf("domain", "list")).output).toContain("api.example.test");
    expect(statSync(join(data, "wharf.db")).mode & 0o777).toBe(0o600);
    // The keys are sealed (docs/server.md, "Secrets at rest"): none in clear in any file of the database.
    const files = ["wharf.db", "wharf.db-wal"].filter((f) => existsSync(join(data, f)));
    for (const file of files) expect(readFileSync(join(data, file), "latin1")).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    expect(statSync(join(data, "secret.key")).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("replaces a certificate in place and removes domains", async () => {
    const replacement = makeCert(temp.dir, "api2", ["api.example.test", "other.example.org"], makeCa(temp.dir, "ca2", "/CN=Second Test CA"));
    expect((await wharf("domain", "add", "api.example.test", "--cert", replacement.cert, "--key", replacement.key)).code).toBe(0);
    const second = readFileSync(join(temp.dir, "ca2.crt"), "utf8");
    expect((await httpsGet(httpsPort, "api.example.test", second)).peer.issuer.CN).toBe("Second Test CA");

    const removed = await wharf("domain", "remove", "api.example.test");
    expect(removed.code, removed.output).toBe(0);
    // The wildcard covers api.example.test too.
    expect(cnOf((await httpsGet(httpsPort, "api.example.test", ca)).peer)).toBe("*.example.test");
    expect((await wharf("domain", "remove", "*.example.test")).code).toBe(0);
    expect("error" in (await handshake(httpsPort, "api.example.test"))).toBe(true);
    expectOneLineError(await wharf("domain", "remove", "api.example.test"), /^error: no domain api\.example\.test on this server: see wharf domain list$/);
    expect((await wharf("domain", "list")).output).toMatch(/^no custom domains/);
    // HTTP is untouched by removing a certificate.
    expect((await server.request("api.example.test")).status).toBe(200);
  });
});

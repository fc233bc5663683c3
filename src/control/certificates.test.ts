import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCa, makeCert } from "../../test/helpers/tls.ts";
import { checkPair, covers, describeCertificate, domainNameProblem, normalizeDomain, splitPem } from "./certificates.ts";

describe("domain names", () => {
  it.each([
    ["api.example.com", true],
    ["*.example.com", true],
    ["a-b.c-d.example", true],
    ["localhost", false],
    ["*.com", false],
    ["a.*.example.com", false],
    ["**.example.com", false],
    ["-a.example.com", false],
    ["a_b.example.com", false],
    ["", false],
    [`${"a".repeat(64)}.example.com`, false],
  ])("%s is a domain name: %s", (name, ok) => {
    expect(domainNameProblem(name) === undefined).toBe(ok);
  });

  it("normalizes case and a trailing dot", () => {
    expect(normalizeDomain(" API.Example.COM. ")).toBe("api.example.com");
  });
});

describe("which names a certificate name covers", () => {
  it.each([
    ["api.example.com", "api.example.com", true],
    ["API.example.com", "api.example.com", true],
    ["api.example.com", "www.example.com", false],
    ["*.example.com", "api.example.com", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "*.example.com", true],
    ["api.example.com", "*.example.com", false],
    ["*.b.example.com", "*.example.com", false],
  ])("%s covers %s: %s", (certName, name, expected) => {
    expect(covers(certName, name)).toBe(expected);
  });
});

describe("checkPair", () => {
  let dir: string;
  let pem: (file: string) => string;
  let now: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wharf-certs-"));
    pem = (file) => readFileSync(join(dir, file), "utf8");
    const ca = makeCa(dir);
    makeCert(dir, "api", ["api.example.test", "www.example.test"], ca);
    makeCert(dir, "wild", ["*.example.test"], ca);
    now = describeCertificate(pem("api.crt")).notBefore + 60_000;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a matching pair that covers the name, and describes it", () => {
    const checked = checkPair("www.example.test", pem("api.crt"), pem("api.key"), now);
    if ("problem" in checked) throw new Error(checked.problem);
    expect(checked.info).toMatchObject({ subject: "api.example.test", issuer: "Wharf Test CA", names: ["api.example.test", "www.example.test"] });
    expect(checked.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(splitPem(checked.certPem)).toHaveLength(1);
  });

  it("accepts a chain in order and refuses one out of order", () => {
    expect("info" in checkPair("api.example.test", pem("api.crt") + pem("ca.crt"), pem("api.key"), now)).toBe(true);
    expect(checkPair("api.example.test", pem("api.crt") + pem("wild.crt"), pem("api.key"), now)).toEqual({ problem: expect.stringMatching(/chain is out of order: put the server certificate first/) });
  });

  it("covers one level with a wildcard certificate, and a wildcard name only with the same wildcard", () => {
    expect("info" in checkPair("x.example.test", pem("wild.crt"), pem("wild.key"), now)).toBe(true);
    expect("info" in checkPair("*.example.test", pem("wild.crt"), pem("wild.key"), now)).toBe(true);
    expect(checkPair("*.example.test", pem("api.crt"), pem("api.key"), now)).toEqual({ problem: "the certificate does not cover *.example.test: it is for api.example.test, www.example.test" });
  });

  it.each([
    ["a key of another certificate", "api.example.test", "api.crt", "wild.key", /^the key does not match the certificate for api\.example\.test/],
    ["a name it does not cover", "a.b.example.test", "wild.crt", "wild.key", /^the certificate does not cover a\.b\.example\.test: it is for \*\.example\.test$/],
    ["a key where the certificate goes", "api.example.test", "api.key", "api.key", /holds no PEM certificate/],
    ["a certificate where the key goes", "api.example.test", "api.crt", "api.crt", /holds no PEM private key/],
  ])("refuses %s", (_what, name, cert, key, problem) => {
    expect(checkPair(name, pem(cert), pem(key), now)).toEqual({ problem: expect.stringMatching(problem) });
  });

  it("refuses an encrypted key with the command that decrypts it", () => {
    execFileSync("openssl", ["pkey", "-in", "api.key", "-aes256", "-passout", "pass:secret", "-out", "api-encrypted.key"], { cwd: dir });
    expect(checkPair("api.example.test", pem("api.crt"), pem("api-encrypted.key"), now)).toEqual({ problem: expect.stringMatching(/encrypted key: decrypt it first/) });
  });

  it("refuses a certificate outside its validity", () => {
    const info = describeCertificate(pem("api.crt"));
    expect(checkPair("api.example.test", pem("api.crt"), pem("api.key"), info.notAfter + 1)).toEqual({ problem: expect.stringMatching(/^the certificate for api\.example\.test expired on \d{4}-/) });
    // Up to 5 minutes of clock skew is tolerated; beyond, the certificate is not valid yet.
    expect(checkPair("api.example.test", pem("api.crt"), pem("api.key"), info.notBefore - 60_000)).not.toHaveProperty("problem");
    expect(checkPair("api.example.test", pem("api.crt"), pem("api.key"), info.notBefore - 5 * 60_000 - 1)).toEqual({ problem: expect.stringMatching(/is not valid before/) });
  });
});

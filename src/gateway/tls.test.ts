import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCa, makeCert } from "../../test/helpers/tls.ts";
import { sniCandidates, SniContexts } from "./tls.ts";

describe("sniCandidates", () => {
  it.each([
    ["api.example.com", ["api.example.com", "*.example.com"]],
    ["API.Example.com.", ["api.example.com", "*.example.com"]],
    ["a.b.example.com", ["a.b.example.com", "*.b.example.com"]],
    ["localhost", ["localhost"]],
  ])("%s → %j", (name, expected) => {
    expect(sniCandidates(name)).toEqual(expected);
  });
});

describe("SniContexts", () => {
  let dir: string;
  let contexts: SniContexts;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wharf-sni-"));
    const ca = makeCa(dir);
    const pem = (file: string): string => readFileSync(join(dir, file), "utf8");
    makeCert(dir, "api", ["api.example.com"], ca);
    makeCert(dir, "wild", ["*.example.com"], ca);
    contexts = new SniContexts();
    contexts.set("api.example.com", pem("api.crt"), pem("api.key"));
    contexts.set("*.example.com", pem("wild.crt"), pem("wild.key"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("picks the exact name first, then the wildcard one level up, else nothing", () => {
    const exact = contexts.lookup("API.example.com");
    const wild = contexts.lookup("x.example.com");
    expect(exact).toBeDefined();
    expect(wild).toBeDefined();
    expect(exact).not.toBe(wild);
    expect(contexts.lookup("a.b.example.com")).toBeUndefined();
    expect(contexts.lookup("example.com")).toBeUndefined();
  });

  it("answers SNICallback with the context, or an error that aborts the handshake", () => {
    const seen: [Error | null, unknown][] = [];
    contexts.callback("x.example.com", (err, ctx) => seen.push([err, ctx]));
    contexts.callback("other.org", (err, ctx) => seen.push([err, ctx]));
    expect(seen[0]).toEqual([null, contexts.lookup("x.example.com")]);
    expect(seen[1]?.[0]?.message).toBe("wharf: no certificate for other.org");
    contexts.delete("*.example.com");
    expect(contexts.lookup("x.example.com")).toBeUndefined();
    expect(contexts.size).toBe(1);
  });
});

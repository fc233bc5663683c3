import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeCa, makeCert, type Pem } from "../../test/helpers/tls.ts";
import type { AcmeOrder, Issued } from "./acme.ts";
import { describeCertificate } from "./certificates.ts";
import { DAY_MS, domainStatus, Domains, renewalAction } from "./domains.ts";
import { Store } from "./store.ts";

describe("renewalAction", () => {
  const now = 1_000 * DAY_MS;
  const window = 30 * DAY_MS;
  it.each([
    ["acme", now + 31 * DAY_MS, false, "skip"],
    ["acme", now + 30 * DAY_MS, false, "renew"],
    ["acme", now + DAY_MS, false, "renew"],
    ["acme", now - DAY_MS, false, "renew"],
    ["acme", undefined, false, "renew"],
    ["acme", now + DAY_MS, true, "skip"],
    ["cert", now + DAY_MS, false, "warn"],
    ["cert", now + 31 * DAY_MS, false, "skip"],
  ] as const)("%s certificate expiring at %s (ordering: %s) → %s", (source, notAfter, ordering, expected) => {
    expect(renewalAction({ source, notAfter, ordering }, now, window)).toBe(expected);
  });
});

describe("domainStatus", () => {
  const now = 1_000 * DAY_MS;
  it.each([
    [now + 90 * DAY_MS, false, null, "active"],
    [now + 10 * DAY_MS, false, null, "expiring"],
    [now + 10 * DAY_MS, false, "CA down", "failed"],
    [now - 1, false, "CA down", "expired"],
    [undefined, false, null, "expired"],
    [now + 10 * DAY_MS, true, "CA down", "pending"],
  ] as const)("expiring at %s, ordering %s, last error %s → %s", (notAfter, ordering, lastError, expected) => {
    expect(domainStatus({ notAfter, ordering, lastError }, now, 30 * DAY_MS)).toBe(expected);
  });
});

describe("Domains with a stand-in CA", () => {
  let dir: string;
  let store: Store;
  let ca: Pem;
  let served: Map<string, string>;
  let issued: number;
  let failWith: string | undefined;
  let now: number;
  let events: string[];
  let domains: Domains;
  const issue = async (order: AcmeOrder): Promise<Issued> => {
    if (failWith !== undefined) throw new Error(failWith);
    const pem = makeCert(dir, `issued-${++issued}`, [order.name], ca, 90);
    return { certPem: readFileSync(pem.cert, "utf8"), keyPem: readFileSync(pem.key, "utf8") };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wharf-domains-"));
    store = Store.open(join(dir, "data"));
    ca = makeCa(dir);
    served = new Map();
    issued = 0;
    failWith = undefined;
    now = Date.now();
    events = [];
    domains = new Domains({
      store,
      acme: { issue },
      sink: { set: (name, cert) => void served.set(name, cert), delete: (name) => void served.delete(name) },
      renewBeforeMs: 30 * DAY_MS,
      checkIntervalMs: DAY_MS,
      onEvent: (m) => events.push(m),
      now: () => now,
    });
  });
  afterEach(async () => {
    await domains.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves an ordered certificate, renews it once it is due, and swaps what is served", async () => {
    const added = await domains.addAcme("Shop.Example.test", "https://ca.test/dir", "me@example.test");
    expect(added).toMatchObject({ name: "shop.example.test", source: "acme", status: "active", issuer: "Wharf Test CA", names: ["shop.example.test"] });
    const first = served.get("shop.example.test");
    expect(first).toBeDefined();

    await domains.checkRenewals();
    expect(issued).toBe(1);

    now = (added.expires ?? 0) - 29 * DAY_MS;
    await domains.checkRenewals();
    expect(issued).toBe(2);
    const second = served.get("shop.example.test");
    expect(second).not.toBe(first);
    expect(store.domains()[0]?.certificate?.certPem).toBe(second);
    expect(events).toContain(`domain shop.example.test: certificate renewed (expires ${new Date(describeCertificate(second ?? "").notAfter).toISOString()})`);
  });

  it("keeps the current certificate when a renewal fails, and says why", async () => {
    const added = await domains.addAcme("shop.example.test", "https://ca.test/dir", "");
    const first = served.get("shop.example.test");
    now = (added.expires ?? 0) - DAY_MS;
    failWith = "the CA is down";
    await domains.checkRenewals();
    expect(served.get("shop.example.test")).toBe(first);
    expect(domains.list()).toMatchObject([{ name: "shop.example.test", status: "failed", error: "the CA is down" }]);
    failWith = undefined;
    await domains.checkRenewals();
    expect(domains.list()).toMatchObject([{ status: "expiring", error: null }]);
    expect(served.get("shop.example.test")).not.toBe(first);
  });

  it("stores nothing when the first order fails", async () => {
    failWith = "no route to the CA";
    await expect(domains.addAcme("shop.example.test", "https://ca.test/dir", "")).rejects.toThrow("no route to the CA");
    expect(domains.list()).toEqual([]);
    expect(served.size).toBe(0);
  });

  it("serves stored certificates at start and refuses a wildcard or a plain-HTTP directory for ACME", async () => {
    await domains.addAcme("shop.example.test", "https://ca.test/dir", "");
    served.clear();
    expect(domains.start()).toBe(1);
    expect([...served.keys()]).toEqual(["shop.example.test"]);
    await expect(domains.addAcme("*.example.test", "https://ca.test/dir", "")).rejects.toThrow(/wildcard: ACME issues wildcards only by DNS-01/);
    await expect(domains.addAcme("a.example.test", "http://ca.test/dir", "")).rejects.toThrow(/is not an https:\/\/ URL/);
  });
});

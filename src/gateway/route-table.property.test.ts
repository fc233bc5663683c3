/**
 * Properties of Host normalization and resolution (route-table.ts): arbitrary Hosts never throw,
 * normalizing is idempotent, and a Host resolves only to an endpoint that claims it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildRouteTable, normalizeHost, resolveHost, type Routable } from "./route-table.ts";

const VALID_LABEL = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const NAME = fc.array(VALID_LABEL, { minLength: 1, maxLength: 3 }).map((labels) => labels.join("."));
/** Host characters and their near misses (ports, brackets, dots, case, whitespace, Unicode). */
const HOSTISH = fc.string({ unit: fc.constantFrom(..."ab0-.:[]_ AZK8İ".split("")), maxLength: 40 });
/** Short strings over a dense alphabet of separators, where `a:b:c` and `a..` hide. */
const DENSE = fc.string({ unit: fc.constantFrom("a", "B", "0", ".", ":", "-", "["), maxLength: 8 });
const ANY = fc.oneof(DENSE, HOSTISH, fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }));
const NORMALIZED = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

describe("normalizeHost, for arbitrary Hosts", () => {
  it("never throws, and gives a lowercase DNS name or undefined", () => {
    fc.assert(
      fc.property(ANY, (host) => {
        const name = normalizeHost(host);
        if (name !== undefined) expect(name).toMatch(NORMALIZED);
      }),
      { numRuns: 1000 },
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(ANY, NAME), (host) => {
        const name = normalizeHost(host);
        if (name !== undefined) expect(normalizeHost(name)).toBe(name);
      }),
      { numRuns: 1000 },
    );
  });

  it("ignores case, a port and one trailing dot", () => {
    fc.assert(
      fc.property(NAME, fc.boolean(), fc.boolean(), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }), (name, upper, dot, port) => {
        const host = `${upper ? name.toUpperCase() : name}${dot ? "." : ""}${port === undefined ? "" : `:${port}`}`;
        expect(normalizeHost(host)).toBe(name);
      }),
    );
  });
});

/** Whether `endpoint` claims `host`: its label under the base domain, an exact domain, or one level under a `*.` domain. */
function claims(endpoint: Routable, baseDomain: string, host: string): boolean {
  if (host === `${endpoint.label}.${baseDomain}`) return true;
  return endpoint.customDomains.some((domain) => {
    if (!domain.startsWith("*.")) return domain === host;
    const parent = domain.slice(1); // ".example.com"
    const first = host.slice(0, -parent.length);
    return host.endsWith(parent) && first.length > 0 && !first.includes(".");
  });
}

const ENDPOINTS = fc.uniqueArray(
  fc.record({
    label: VALID_LABEL,
    customDomains: fc.uniqueArray(fc.tuple(fc.boolean(), NAME, VALID_LABEL).map(([wild, name, tld]) => `${wild ? "*." : ""}${name}.${tld}`), { maxLength: 3 }),
  }),
  { maxLength: 5, selector: (e) => e.label },
).map((list) => list.map((e, i): Routable => ({ name: `fn${i}`, ...e })));

/** A table (conflicts dropped) and Hosts near its names: labels, domains, wildcard children, and mutations of them. */
const CASE = fc
  .tuple(fc.constantFrom("localhost", "example.dev"), ENDPOINTS)
  .map(([base, endpoints]) => {
    const seen = new Set<string>();
    const kept = endpoints.map((e) => ({ ...e, customDomains: e.customDomains.filter((d) => !seen.has(d) && seen.add(d)) }));
    const built = buildRouteTable(base, kept);
    if (!("table" in built)) throw new Error(built.conflicts.join("; "));
    return built.table;
  })
  .chain((table) => {
    const names = [...table.endpoints.flatMap((e) => [`${e.label}.${table.baseDomain}`, ...e.customDomains]), "x." + table.baseDomain];
    // A wildcard's `*` becomes a label, nothing, or several labels; anything may get a prefix or suffix.
    const near = fc
      .tuple(fc.constantFrom(...names), fc.constantFrom("w", "", "a.b", "-"), fc.constantFrom("", "a.", ".", "-."), fc.constantFrom("", ".", "..", ".evil.com", "x", ":80", ".:80"))
      .map(([name, star, prefix, suffix]) => `${prefix}${name.replace(/^\*/, star)}${suffix}`);
    return fc.tuple(fc.constant(table), fc.oneof(near, fc.constantFrom(...names), ANY));
  });

describe("resolveHost", () => {
  it("never throws and never returns an endpoint that does not claim the (normalized) Host", () => {
    fc.assert(
      fc.property(CASE, ([table, raw]) => {
        const host = normalizeHost(raw);
        if (host === undefined) return;
        const endpoint = resolveHost(table, host);
        if (endpoint !== undefined) expect(claims(endpoint, table.baseDomain, host)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never returns an endpoint for a raw string outside the table's names either", () => {
    fc.assert(
      fc.property(CASE, ([table, raw]) => {
        const endpoint = resolveHost(table, raw);
        if (endpoint !== undefined) expect(claims(endpoint, table.baseDomain, raw)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("resolves every endpoint's label", () => {
    fc.assert(
      fc.property(CASE, ([table]) => {
        for (const endpoint of table.endpoints) expect(resolveHost(table, `${endpoint.label}.${table.baseDomain}`)).toBe(endpoint);
      }),
    );
  });
});

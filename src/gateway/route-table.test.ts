import { describe, expect, it } from "vitest";
import { buildRouteTable, normalizeHost, resolveHost, type Routable } from "./route-table.ts";

const ep = (name: string, label: string, customDomains: string[] = []): Routable => ({ name, label, customDomains });

function table(endpoints: Routable[]) {
  const built = buildRouteTable("localhost", endpoints);
  if (!("table" in built)) throw new Error(built.conflicts.join("; "));
  return built.table;
}

describe("route table", () => {
  const hello = ep("hello", "example-hello-dev");
  const api = ep("api", "example-api-dev", ["api.example.com", "*.example.com"]);
  const wild = ep("wild", "example-wild-dev", ["*.example.org"]);
  const t = table([hello, api, wild]);

  it.each([
    ["example-hello-dev.localhost", "hello"],
    ["example-api-dev.localhost", "api"],
    ["api.example.com", "api"],
    ["other.example.com", "api"],
    ["x.example.org", "wild"],
  ])("resolves %s to %s", (host, name) => {
    expect(resolveHost(t, host)?.name).toBe(name);
  });

  it.each(["nope.localhost", "a.b.example.org", "example.org", "localhost", "example-hello-dev.localhost.evil.com"])(
    "resolves %s to nothing",
    (host) => {
      expect(resolveHost(t, host)).toBeUndefined();
    },
  );

  it("prefers an exact domain over a wildcard", () => {
    const exact = ep("exact", "e", ["www.example.net"]);
    const star = ep("star", "s", ["*.example.net"]);
    const both = table([star, exact]);
    expect(resolveHost(both, "www.example.net")?.name).toBe("exact");
    expect(resolveHost(both, "api.example.net")?.name).toBe("star");
  });

  it("names both claimants of a duplicate label or domain", () => {
    const result = buildRouteTable("localhost", [ep("a", "same", ["x.example.com"]), ep("b", "same", ["x.example.com"])]);
    expect(result).toEqual({
      conflicts: [
        'label "same" is claimed by both a and b',
        'custom domain "x.example.com" is claimed by both a and b',
      ],
    });
  });
});

describe("normalizeHost", () => {
  it.each([
    ["Example-Hello-Dev.LOCALHOST:8000", "example-hello-dev.localhost"],
    ["api.example.com.", "api.example.com"],
    ["api.example.com", "api.example.com"],
    ["", undefined],
    [undefined, undefined],
    [":80", undefined],
    ["[::1]:8000", undefined],
  ])("%s → %s", (input, output) => {
    expect(normalizeHost(input)).toBe(output);
  });
});

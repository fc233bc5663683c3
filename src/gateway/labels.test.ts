import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { domainProblem, labelProblem, resolveLabel } from "./labels.ts";

describe("default labels", () => {
  it.each([
    [{ app: "example", fn: "hello", dev: false }, "example-hello"],
    [{ app: "example", fn: "hello", dev: true }, "example-hello-dev"],
    [{ app: "example", fn: "api_handler", dev: false }, "example-api-handler"],
    [{ app: "example", fn: "MyAPI", method: "health", dev: true }, "example-myapi-health-dev"],
    [{ app: "example", fn: "hello", explicit: "my-endpoint", dev: false }, "my-endpoint"],
    [{ app: "example", fn: "hello", explicit: "my-endpoint", dev: true }, "my-endpoint-dev"],
  ])("%o → %s", (parts, label) => {
    expect(resolveLabel(parts)).toEqual({ label });
  });

  it("shortens a default over 63 characters to 56 + '-' + 6 hex digits of its SHA-256", () => {
    const fn = "a_very_long_function_name_that_goes_on_and_on_and_on_forever";
    const full = `example-${fn.replace(/_/g, "-")}`;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
    const result = resolveLabel({ app: "example", fn, dev: false });
    expect(result).toEqual({ label: `${full.slice(0, 56)}-${hash}` });
    if ("label" in result) expect(result.label).toHaveLength(63);
  });

  it("keeps a 63-character default as it is", () => {
    const fn = "f".repeat(63 - "example-".length);
    expect(resolveLabel({ app: "example", fn, dev: false })).toEqual({ label: `example-${fn}` });
  });
});

describe("label validation", () => {
  it.each(["a", "my-endpoint", "a1-b2", "x".repeat(63)])("accepts %s", (label) => {
    expect(labelProblem(label)).toBeUndefined();
  });
  it.each([
    ["", "empty"],
    ["Bad_Label", "lowercase letters"],
    ["-start", "start or end"],
    ["end-", "start or end"],
    ["x".repeat(64), "64 characters"],
    ["has.dot", "lowercase letters"],
  ])("refuses %s (%s)", (label, why) => {
    expect(labelProblem(label)).toContain(why);
    expect(resolveLabel({ app: "a", fn: "f", explicit: label, dev: false })).toHaveProperty("problem");
  });
});

describe("domain validation", () => {
  it.each(["api.example.com", "*.example.com", "a.b.c.example.org"])("accepts %s", (d) => {
    expect(domainProblem(d)).toBeUndefined();
  });
  it.each(["API.example.com", "localhost", "*.com", "bad_name.example.com", "**.example.com", "a..b.com"])("refuses %s", (d) => {
    expect(domainProblem(d)).toBeDefined();
  });
});

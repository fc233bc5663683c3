import { describe, expect, it } from "vitest";
import { isPreflight, preflightResponse } from "./cors.ts";

const request = (method: string, headers: Record<string, string>) =>
  new Request("http://example.localhost:8000/", { method, headers });

describe("isPreflight", () => {
  it.each([
    ["OPTIONS", { origin: "https://a.test", "access-control-request-method": "POST" }, true],
    ["OPTIONS", { origin: "https://a.test" }, false],
    ["OPTIONS", { "access-control-request-method": "POST" }, false],
    ["OPTIONS", {}, false],
    ["GET", { origin: "https://a.test", "access-control-request-method": "POST" }, false],
  ] as const)("%s %j → %s", (method, headers, expected) => {
    expect(isPreflight(request(method, headers))).toBe(expected);
  });
});

describe("preflightResponse", () => {
  it("omits Allow-Headers when none were requested", () => {
    const response = preflightResponse(request("OPTIONS", { origin: "https://a.test", "access-control-request-method": "DELETE" }));
    expect(response.headers.get("access-control-allow-headers")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBe("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
    expect(response.headers.get("vary")).toBe("Origin");
  });
});

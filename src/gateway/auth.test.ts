import { describe, expect, it } from "vitest";
import { checkProxyAuth, isCredentialHeader, readCredentials } from "./auth.ts";

const good = { key: "wk-abc", secret: "ws-def" };
const verify = (c: { key: string; secret: string }) => c.key === good.key && c.secret === good.secret;

describe("proxy auth", () => {
  it.each([
    [{}, "missing"],
    [{ "modal-key": "wk-abc", "modal-secret": "ws-def" }, "ok"],
    [{ "modal-key": "wk-abc", "modal-secret": "ws-nope" }, "invalid"],
    [{ "modal-key": "wk-abc" }, "invalid"],
    [{ "modal-secret": "ws-def" }, "invalid"],
    [{ authorization: "Bearer wk-abc.ws-def" }, "ok"],
    [{ authorization: "bearer wk-abc.ws-def" }, "ok"],
    [{ authorization: "Bearer wk-abc" }, "invalid"],
    [{ authorization: "Bearer wk-abc.ws-zzz" }, "invalid"],
    [{ authorization: "Basic dXNlcjpwYXNz" }, "missing"],
  ])("%o → %s", (headers, result) => {
    expect(checkProxyAuth(headers, verify)).toBe(result);
  });

  it("reads both header forms", () => {
    expect(readCredentials({ authorization: "Bearer wk-1.ws-2" })).toEqual({ key: "wk-1", secret: "ws-2" });
    expect(readCredentials({ "modal-key": "wk-1", "modal-secret": "ws-2" })).toEqual({ key: "wk-1", secret: "ws-2" });
  });

  it("strips only credential headers", () => {
    expect(isCredentialHeader("Modal-Key", "wk-1")).toBe(true);
    expect(isCredentialHeader("modal-secret", "ws-1")).toBe(true);
    expect(isCredentialHeader("Authorization", "Bearer wk-1.ws-2")).toBe(true);
    expect(isCredentialHeader("Authorization", "Bearer user-token")).toBe(false);
    expect(isCredentialHeader("x-other", "wk-1")).toBe(false);
  });
});

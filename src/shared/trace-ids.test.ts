import { describe, expect, it } from "vitest";
import { requestIdFrom, traceIdOf, traceparentFrom } from "./trace-ids.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("requestIdFrom", () => {
  it.each(["abc-123", "req_01HZX.9", "a".repeat(128), "tenant:42/7"])("keeps a valid id %s", (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });
  it.each([undefined, "", "a".repeat(129), "has space", "quote\"d", "line\nbreak", "ünï"])("replaces %j with a UUID", (id) => {
    expect(requestIdFrom(id)).toMatch(UUID);
  });
  it("replaces a repeated header", () => {
    expect(requestIdFrom(["a", "b"])).toMatch(UUID);
  });
});

describe("traceparentFrom", () => {
  it("keeps the trace id and flags of a valid traceparent, with a new parent id", () => {
    const next = traceparentFrom(VALID);
    expect(next).toMatch(TRACEPARENT);
    expect(traceIdOf(next)).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(next.endsWith("-01")).toBe(true);
    expect(next.slice(36, 52)).not.toBe("00f067aa0ba902b7");
  });
  it("keeps a later version's trace id (extra fields allowed there)", () => {
    expect(traceIdOf(traceparentFrom("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra"))).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });
  it.each([
    undefined,
    "",
    "garbage",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    `${VALID}-extra`,
  ])("starts a new trace for %j", (given) => {
    const next = traceparentFrom(given);
    expect(next).toMatch(TRACEPARENT);
    expect(traceIdOf(next)).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(traceIdOf(next)).not.toBe("0".repeat(32));
  });
});

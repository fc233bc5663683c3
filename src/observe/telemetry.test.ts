import { describe, expect, it } from "vitest";
import { boundOf, bucketOf, newCounts, quantile } from "./latency-histogram.ts";
import type { RequestRecord } from "./request-record.ts";
import { statusClass, Telemetry } from "./telemetry.ts";

const record = (time: number, status: number, durationMs: number, fn = "hello"): RequestRecord => ({
  time, method: "GET", host: "h", path: "/", status, durationMs, app: "a", function: fn, container: "c1", requestId: "r", traceparent: "t",
});

describe("latency histogram", () => {
  it("finds quantiles within one bucket", () => {
    const counts = newCounts();
    for (let i = 1; i <= 100; i++) counts[bucketOf(i)] = (counts[bucketOf(i)] ?? 0) + 1;
    const p50 = quantile(counts, 0.5) ?? 0;
    const p99 = quantile(counts, 0.99) ?? 0;
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThan(50 * 1.34);
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThan(99 * 1.34);
    expect(quantile(newCounts(), 0.5)).toBeNull();
  });
  it("clamps the extremes into the first and last buckets", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-1)).toBe(0);
    expect(boundOf(bucketOf(1e9))).toBeCloseTo(100_000);
  });
});

describe("Telemetry", () => {
  it("counts by status class, per function, and keeps the per-second series", () => {
    let now = 1_000_000_000_000;
    const t = new Telemetry(() => now);
    for (let i = 0; i < 20; i++) t.request(record(now - 5000 + i * 100, 200, 5));
    t.request(record(now - 3000, 503, 1));
    t.request(record(now - 3000, 404, 1));
    t.request(record(now - 3000, 0, 1));
    t.request(record(now - 3000, 200, 5, "other"));
    t.request({ ...record(now, 404, 1), app: null, function: null });
    const s = t.summary("a", "hello");
    expect(s.requests).toBe(23);
    expect(s.classes).toEqual({ "2xx": 20, "3xx": 0, "4xx": 1, "5xx": 1, aborted: 1 });
    expect(s.rps).toBeCloseTo(2.3);
    expect(s.series).toHaveLength(300);
    expect(s.series.reduce((n, x) => n + x.count, 0)).toBe(23);
    expect(s.series.reduce((n, x) => n + x.errors, 0)).toBe(2);
    expect(t.summary("a", "other").requests).toBe(1);
    // Unrouted requests are recent requests, not any function's.
    expect(t.recentRequests()).toHaveLength(25);
    // Five minutes later the series has moved on; totals stay.
    now += 301_000;
    const later = t.summary("a", "hello");
    expect(later.series.reduce((n, x) => n + x.count, 0)).toBe(0);
    expect(later.requests).toBe(23);
    expect(later.p50).toBeNull();
  });

  it("keeps cold starts, exits and log lines with their times, bounded", () => {
    const t = new Telemetry(() => 42);
    t.coldStart("a", "f", "c1", 12.5, "initial");
    t.exit("a", "f", "idle");
    t.exit("a", "f", "idle");
    for (let i = 0; i < 250; i++) t.log("a", "f", `line ${i}`, "stdout");
    const s = t.summary("a", "f");
    expect(s.coldStarts).toEqual({ count: 1, recent: [{ time: 42, container: "c1", ms: 12.5, reason: "initial" }] });
    expect(s.exits).toEqual({ idle: 2 });
    expect(s.logs).toHaveLength(200);
    expect(s.logs.at(-1)).toEqual({ time: 42, stream: "stdout", line: "line 249" });
  });

  it.each([[0, "aborted"], [200, "2xx"], [301, "3xx"], [404, "4xx"], [502, "5xx"]] as const)("status %i is %s", (status, cls) => {
    expect(statusClass(status)).toBe(cls);
  });
});

import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AppLogs, formatLogLine } from "./app-logs.ts";

const T = Date.parse("2026-12-02T18:00:00.000Z");

describe("AppLogs", () => {
  let dir = "";
  afterEach(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the last lines of each app with their time and function, oldest first", () => {
    const logs = new AppLogs(3);
    for (let i = 1; i <= 5; i++) logs.append("a", "hello", `line ${i}`, T + i);
    logs.append("b", "other", "only", T);
    expect(logs.lines("a")).toEqual(["2026-12-02T18:00:00.003Z [hello] line 3", "2026-12-02T18:00:00.004Z [hello] line 4", "2026-12-02T18:00:00.005Z [hello] line 5"]);
    expect(logs.lines("b")).toEqual(["2026-12-02T18:00:00.000Z [other] only"]);
    expect(logs.lines("c")).toEqual([]);
  });

  it("names the function once, even when the line already carried it", () => {
    const logs = new AppLogs();
    logs.append("a", "boom", "[boom] Error: failed", T);
    logs.append("a", "Api", "[Api.get] Error: failed", T);
    expect(logs.lines("a")).toEqual(["2026-12-02T18:00:00.000Z [boom] Error: failed", "2026-12-02T18:00:00.000Z [Api] [Api.get] Error: failed"]);
  });

  it("filters by function and by time", () => {
    const logs = new AppLogs();
    logs.append("a", "f", "old", T - 60_000);
    logs.append("a", "g", "other", T);
    logs.append("a", "f", "new", T);
    expect(logs.entries("a", { fn: "f" }).map((e) => e.line)).toEqual(["old", "new"]);
    expect(logs.entries("a", { since: T - 1000 }).map((e) => e.line)).toEqual(["other", "new"]);
    expect(logs.entries("a", { fn: "f", since: T }).map((e) => e.line)).toEqual(["new"]);
  });

  it("tells followers about new lines of their app until they unsubscribe", () => {
    const logs = new AppLogs();
    const seen: string[] = [];
    const stop = logs.follow("a", (entry) => seen.push(formatLogLine(entry)));
    logs.append("a", "f", "one", T);
    logs.append("b", "f", "elsewhere", T);
    stop();
    logs.append("a", "f", "two", T);
    expect(seen).toEqual(["2026-12-02T18:00:00.000Z [f] one"]);
  });

  it("keeps lines on disk per app, capped, and reads them back after a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-applogs-"));
    const first = new AppLogs(50, dir, 2000);
    for (let i = 0; i < 200; i++) first.append("a", "f", `line ${i}`, T + i);
    first.append("b", "f", "b's", T);
    await first.close();
    expect(readdirSync(dir).sort()).toEqual(["a.log", "a.log.1", "b.log"]);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(2000);
    const again = new AppLogs(50, dir, 2000);
    const lines = again.entries("a").map((e) => e.line);
    expect(lines.at(-1)).toBe("line 199");
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(lines.length).toBeGreaterThan(10);
    expect(again.lines("b")).toEqual(["2026-12-02T18:00:00.000Z [f] b's"]);
    await again.close();
  });
});

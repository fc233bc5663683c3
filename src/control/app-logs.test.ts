import { describe, expect, it } from "vitest";
import { AppLogs } from "./app-logs.ts";

describe("AppLogs", () => {
  it("keeps the last lines of each app, prefixed by function, oldest first", () => {
    const logs = new AppLogs(3);
    for (let i = 1; i <= 5; i++) logs.append("a", "hello", `line ${i}`);
    logs.append("b", "other", "only");
    expect(logs.lines("a")).toEqual(["[hello] line 3", "[hello] line 4", "[hello] line 5"]);
    expect(logs.lines("b")).toEqual(["[other] only"]);
    expect(logs.lines("c")).toEqual([]);
  });

  it("tells followers about new lines of their app until they unsubscribe", () => {
    const logs = new AppLogs();
    const seen: string[] = [];
    const stop = logs.follow("a", (line) => seen.push(line));
    logs.append("a", "f", "one");
    logs.append("b", "f", "elsewhere");
    stop();
    logs.append("a", "f", "two");
    expect(seen).toEqual(["[f] one"]);
  });
});

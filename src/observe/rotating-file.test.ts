import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RotatingFile } from "./rotating-file.ts";

describe("RotatingFile", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("rotates past the cap, keeps `keep` old files and drops older ones", async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-rotate-"));
    const file = new RotatingFile(join(dir, "logs", "requests.jsonl"), { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 50; i++) file.write(`line ${String(i).padStart(4, "0")} ${"x".repeat(10)}\n`);
    await file.close();
    const names = readdirSync(join(dir, "logs")).sort();
    expect(names).toEqual(["requests.jsonl", "requests.jsonl.1", "requests.jsonl.2"]);
    for (const name of names) expect(statSync(join(dir, "logs", name)).size).toBeLessThanOrEqual(100);
    // The newest lines are in the current file, the ones just before in .1; nothing is cut in half.
    const current = readFileSync(join(dir, "logs", "requests.jsonl"), "utf8");
    expect(current.trimEnd().split("\n").at(-1)).toBe(`line 0049 ${"x".repeat(10)}`);
    const older = readFileSync(join(dir, "logs", "requests.jsonl.1"), "utf8").trimEnd().split("\n");
    const first = Number(current.split(" ")[1]);
    expect(Number(older.at(-1)?.split(" ")[1])).toBe(first - 1);
    for (const line of [...older, ...current.trimEnd().split("\n")]) expect(line).toMatch(/^line \d{4} x{10}$/);
  });

  it("appends to an existing file and counts its size", async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-rotate-"));
    const path = join(dir, "a.log");
    const one = new RotatingFile(path, { maxBytes: 20, keep: 1 });
    one.write("0123456789\n");
    await one.close();
    const two = new RotatingFile(path, { maxBytes: 20, keep: 1 });
    two.write("abcdefghij\n");
    await two.close();
    expect(readFileSync(path, "utf8")).toBe("abcdefghij\n");
    expect(readFileSync(`${path}.1`, "utf8")).toBe("0123456789\n");
  });
});

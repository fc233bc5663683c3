/**
 * The error table, the code that throws and docs/errors.md agree: every code thrown in src/ is in
 * the table, every code in the table is thrown somewhere, and the doc lists exactly the table's
 * codes with their status, kind and fix.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./error-codes.ts";

const SRC = join(import.meta.dirname, "..");
const DOC = readFileSync(join(SRC, "..", "docs", "errors.md"), "utf8");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

const thrown = new Set(sources(SRC).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/WharfError\(\s*"([A-Z0-9_]+)"/g)].map((m) => m[1] ?? "")));
const table = Object.keys(ERROR_CODES);

describe("the error table", () => {
  it("holds every code src/ throws", () => {
    expect([...thrown].filter((c) => !table.includes(c))).toEqual([]);
  });

  it("holds no code nothing throws", () => {
    expect(table.filter((c) => !thrown.has(c))).toEqual([]);
  });

  it("is what docs/errors.md lists, code for code", () => {
    const rows = [...DOC.matchAll(/^\| `([A-Z0-9_]+)` \| (\d+) \| (user|system) \| (.*) \|$/gm)].map((m) => ({ code: m[1], status: Number(m[2]), kind: m[3], fix: m[4] }));
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, e]) => ({ code, status: e.status, kind: e.kind, fix: e.fix })));
  });
});

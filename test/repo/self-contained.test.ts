/**
 * The repository stands on its own: code, tests, benchmarks and docs cite the contract as
 * `docs/reference.md §N` (whose sections exist) and never name the design notes kept outside the
 * repository (SPEC.md, DESIGN.md, STYLE.md), which a newcomer with only the repo cannot read.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/serve.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist" || name === "golden") return [];
    return statSync(path).isDirectory() ? files(path) : /\.(ts|mjs|md|sh)$/.test(name) ? [path] : [];
  });
}

const ALL = ["src", "test", "bench", "scripts", "docs", "examples"].flatMap((d) => files(join(ROOT, d))).concat(join(ROOT, "README.md"));
const SELF = relative(ROOT, import.meta.filename);

describe("the repository is self-contained", () => {
  it("names no design note outside it", () => {
    const found = ALL.filter((f) => relative(ROOT, f) !== SELF)
      .flatMap((f) => readFileSync(f, "utf8").split("\n").map((line, i) => ({ where: `${relative(ROOT, f)}:${i + 1}`, line })))
      .filter(({ line }) => /\b(SPEC|DESIGN|STYLE)\.md\b|\bSPEC §/.test(line))
      .map(({ where }) => where);
    expect(found).toEqual([]);
  });

  it("cites only sections docs/reference.md has", () => {
    const reference = readFileSync(join(ROOT, "docs", "reference.md"), "utf8");
    const sections = new Set([...reference.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]));
    const cited = ALL.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/reference\.md\)? §(\d+(?:\.\d+)?)/g)].map((m) => ({ f: relative(ROOT, f), s: m[1] })));
    expect(cited.length).toBeGreaterThan(10);
    expect(cited.filter((c) => !sections.has(c.s))).toEqual([]);
  });
});

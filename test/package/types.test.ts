/**
 * Types that just work: a user's project that installed Wharf from `npm pack`, with a stock
 * strict tsconfig and only @types/node, type-checks an app using every SDK export, under nodenext
 * and under bundler resolution, with no extra flag; the factory rules stay compile errors there.
 */
import { execFile } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packedProject, type PackedProject } from "../helpers/packed.ts";
import { ROOT } from "../helpers/serve.ts";

const run = promisify(execFile);

async function tsc(dir: string, config: string, compilerOptions: Record<string, unknown>): Promise<{ code: number; output: string }> {
  writeFileSync(join(dir, config), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, ...compilerOptions }, include: ["app.ts"] }, null, 2));
  try {
    const { stdout, stderr } = await run(process.execPath, [join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", config], { cwd: dir });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("the SDK's types in a user's project installed from npm pack", () => {
  let project: PackedProject;
  beforeAll(async () => {
    project = await packedProject();
    copyFileSync(join(ROOT, "test", "package", "user-app.ts"), join(project.dir, "app.ts"));
  }, 300_000);
  afterAll(() => project?.cleanup());

  it("ships declaration files whose imports need no TypeScript-only flag", () => {
    const types = join(project.dir, "node_modules", "wharf", "dist", "types");
    const files = readdirSync(types);
    expect(files).toContain("index.d.ts");
    for (const file of files) expect(readFileSync(join(types, file), "utf8")).not.toMatch(/from "\.\.?\/[^"]+\.ts"/);
  });

  it("type-checks under module nodenext + strict", async () => {
    const result = await tsc(project.dir, "tsconfig.json", { module: "nodenext" });
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("type-checks under module esnext + moduleResolution bundler + strict", async () => {
    const result = await tsc(project.dir, "tsconfig.bundler.json", { module: "esnext", moduleResolution: "bundler" });
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("still makes an async factory a compile error there", async () => {
    const app = readFileSync(join(project.dir, "app.ts"), "utf8");
    writeFileSync(join(project.dir, "app.ts"), app.replace("// @ts-expect-error an async factory\n", ""));
    try {
      const result = await tsc(project.dir, "tsconfig.json", { module: "nodenext" });
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/app\.ts\(\d+,\d+\): error TS2345/);
    } finally {
      writeFileSync(join(project.dir, "app.ts"), app);
    }
  });
});

/**
 * `wharf init [DIR]`: scaffolds a project that serves at once (after installing Wharf from its
 * tarball, as `npm install` would from the registry), type-checks with its own tsconfig, and
 * refuses to overwrite any file, naming it.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npxServe, packedProject, type PackedProject } from "../helpers/packed.ts";
import { runToEnd } from "../helpers/serve.ts";

const run = promisify(execFile);

describe("wharf init", () => {
  const parent = mkdtempSync(join(tmpdir(), "wharf-init-"));
  // Where a user's project lives, other users may traverse: sandboxed containers run under uids
  // of their own and must reach the installed agent (mkdtemp makes 0700 directories).
  chmodSync(parent, 0o755);
  const dir = join(parent, "My_Shop");
  let project: PackedProject | undefined;
  let created: { code: number | null; output: string };
  beforeAll(async () => {
    created = await runToEnd(["init", dir]);
    project = await packedProject(dir);
  }, 300_000);
  afterAll(() => {
    project?.cleanup();
    rmSync(parent, { recursive: true, force: true });
  });

  it("creates package.json, tsconfig.json, .gitignore and app.ts", () => {
    expect(created.code).toBe(0);
    for (const file of ["package.json", "tsconfig.json", ".gitignore", "app.ts"]) {
      expect(existsSync(join(dir, file))).toBe(true);
      expect(created.output).toContain(`✓ created ${join(dir, file)}`);
    }
    expect(created.output).toContain(`next: cd ${dir} && npm install && npx wharf serve app.ts`);
    expect(readFileSync(join(dir, "app.ts"), "utf8")).toContain(`new wharf.App("my-shop")`);
  });

  it("serves the example app at once", async () => {
    const served = await npxServe(dir, "app.ts");
    try {
      const answer = await served.request("my-shop-hello-dev.localhost");
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ message: "Hello, world!" });
    } finally {
      await served.stop();
    }
  });

  it("type-checks with the tsconfig it wrote", async () => {
    const { stdout } = await run(process.execPath, [join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: dir });
    expect(stdout).toBe("");
  }, 120_000);

  it("refuses to overwrite an existing file, naming it, and writes nothing", async () => {
    const other = join(parent, "half");
    rmSync(other, { recursive: true, force: true });
    await run("mkdir", ["-p", other]);
    writeFileSync(join(other, "tsconfig.json"), "{}\n");
    const again = await runToEnd(["init", other]);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/error: \S*half\/tsconfig\.json already exists: wharf init only creates new files \(nothing was written\)/);
    expect(existsSync(join(other, "package.json"))).toBe(false);
    expect(readFileSync(join(other, "tsconfig.json"), "utf8")).toBe("{}\n");
  });
});

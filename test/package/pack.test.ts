/**
 * An installable package: `npm pack` holds what a user runs (dist/ with the CLI, the container
 * agent and the SDK, the declaration files, bin/, README, LICENSE) and none of the repo's tests,
 * benchmarks or fixtures; a project that installed the tarball serves with `npx wharf serve`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npxServe, packedProject, packList, type PackedProject } from "../helpers/packed.ts";

const APP = `import * as wharf from "wharf";
const app = new wharf.App("packed");
export const hello = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() { return { message: "from the tarball" }; }),
);
`;

describe("npm pack", () => {
  it("lists dist, the types, bin, README and LICENSE, and no tests, benchmarks or fixtures", async () => {
    const files = await packList();
    for (const needed of ["package.json", "README.md", "LICENSE", "bin/wharf.js", "dist/cli.js", "dist/agent.js", "dist/sdk.js", "dist/types/index.d.ts"]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => /^(test|bench|src|examples|scripts|\.ci)\//.test(f) || f.includes("fixtures"))).toEqual([]);
  });
});

describe("a project that installed the tarball", () => {
  let project: PackedProject;
  beforeAll(async () => {
    project = await packedProject();
  }, 300_000);
  afterAll(() => project?.cleanup());

  it("serves with npx wharf serve app.ts over real HTTP", async () => {
    writeFileSync(join(project.dir, "app.ts"), APP);
    const served = await npxServe(project.dir, "app.ts");
    try {
      expect(served.lines).toContain(`✓ web function hello => http://packed-hello-dev.localhost:${served.port}`);
      const answer = await served.request("packed-hello-dev.localhost");
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ message: "from the tarball" });
    } finally {
      await served.stop();
    }
  });
});

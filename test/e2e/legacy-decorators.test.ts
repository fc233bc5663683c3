/**
 * `experimentalDecorators: true` in the user's tsconfig makes esbuild (which reads it while
 * bundling) emit legacy decorator calls; Wharf's class endpoints use standard decorators, so
 * `wharf serve` refuses the app with one line naming the setting, and exits 1.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runToEnd, startServe } from "../helpers/serve.ts";

const APP = `import * as wharf from "wharf";
const app = new wharf.App("legacy");
@app.cls()
export class Api {
  @wharf.fastapiEndpoint() health() { return { ok: true }; }
}
`;

describe("a class app built with experimentalDecorators", () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-legacy-"));
  // Readable by the sandboxed containers' own uid (docs/isolation.md).
  chmodSync(dir, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is refused by wharf serve with a message naming the setting", async () => {
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { experimentalDecorators: true, strict: true } }));
    writeFileSync(join(dir, "app.ts"), APP);
    const { code, output } = await runToEnd(["serve", "app.ts", "--port", "0"], { cwd: dir, env: { WHARF_DATA: join(dir, "data") } });
    expect(code).toBe(1);
    expect(output).toContain(`@wharf.fastapiEndpoint() on method health was called as a legacy decorator because your tsconfig.json sets "experimentalDecorators": true`);
    expect(output).toContain(`remove "experimentalDecorators" from tsconfig.json`);
  });

  it("serves once the setting is gone", async () => {
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true } }));
    const served = await startServe("app.ts", { cwd: dir, env: { WHARF_DATA: join(dir, "data") } });
    try {
      const answer = await served.request("legacy-api-health-dev.localhost");
      expect(answer.json()).toEqual({ ok: true });
    } finally {
      await served.stop();
    }
  });
});

/**
 * Errors a user can read: a handler's stack trace in the logs (and so on the dashboard) points at
 * the user's own file and line through the bundle's source map, and an exception thrown while the
 * app is imported is reported with its file and line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runToEnd, startServe } from "../helpers/serve.ts";
import { tempDataDir } from "../helpers/server.ts";

const FIXTURE = join(ROOT, "test", "fixtures", "dashboard.ts");

describe("stack traces through source maps", () => {
  const temp = tempDataDir("wharf-maps-");
  afterAll(() => temp.remove());

  it("names the handler's own source line in the logs", async () => {
    const lines = readFileSync(FIXTURE, "utf8").split("\n");
    const line = lines.findIndex((l) => l.includes('throw new Error("boom on purpose")')) + 1;
    // V8 places an Error at its construction: the column of `new`.
    const column = (lines[line - 1] ?? "").indexOf("new Error") + 1;
    const served = await startServe("test/fixtures/dashboard.ts", { args: ["--quiet"] });
    try {
      expect((await served.request("dash-boom-dev.localhost")).status).toBe(500);
      const frame = await served.waitFor(/\[boom\]\s+at boom /);
      expect(frame).toContain(`test/fixtures/dashboard.ts:${line}:${column}`);
      expect(frame).not.toContain(".mjs");
    } finally {
      await served.stop();
    }
  });

  it("names the file and line of an exception at import", async () => {
    const file = join(temp.dir, "throws.ts");
    writeFileSync(file, ['import * as wharf from "wharf";', 'const app = new wharf.App("throws");', "const config = JSON.parse(\"{}\");", "if (!config.ready) throw new Error(\"config is not ready\");", "export const hello = app.function()(wharf.fastapiEndpoint()(function hello() { return 1; }));", ""].join("\n"));
    const { code, output } = await runToEnd(["serve", file, "--port", "0"]);
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`error: .*config is not ready \\(at ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:\\d+\\)`));
  });
});

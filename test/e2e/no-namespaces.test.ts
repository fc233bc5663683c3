/**
 * Where network namespaces are not available (forced here with WHARF_NO_NETNS=1), Wharf still
 * runs: one clear warning, and webServer functions limited to one container (they share the
 * host's ports).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

describe("without network namespaces", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/shared-network.ts", { env: { WHARF_NO_NETNS: "1" } });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("warns once", () => {
    const warnings = served.lines.filter((l) => l.includes("network namespaces are not available"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: .*each webServer function runs one container at most/);
  });

  it("serves a webServer function from one container only", async () => {
    const answers = await Promise.all([0, 1, 2].map(() => served.request("sharednet-web-dev.localhost")));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.json<{ pid: number }>().pid)).size).toBe(1);
  });
});

describe("reloading a webServer function without network namespaces", () => {
  let served: Served;
  let dir: string;
  let file: string;
  const source = (greeting: string): string => `
import { createServer } from "node:http";
import * as wharf from "wharf";
const app = new wharf.App("sharedreload");
export const web = app.function()(
  wharf.webServer(18764)(function web() {
    createServer((_req, res) => res.end("${greeting}")).listen(18764, "127.0.0.1");
  }),
);
`;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-sharedreload-"));
    file = join(dir, "app.ts");
    writeFileSync(file, source("first"));
    served = await startServe(file, { env: { WHARF_NO_NETNS: "1" } });
  });
  afterAll(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses the new version with a clear message and keeps the old one serving", async () => {
    expect((await served.request("sharedreload-web-dev.localhost")).text).toBe("first");
    writeFileSync(file, source("second"));
    await served.waitFor(/reload failed, still serving the last good version: web failed to start: webServer web: port 18764 is already in use/);
    expect((await served.request("sharedreload-web-dev.localhost")).text).toBe("first");
  });
});

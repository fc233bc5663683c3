/**
 * Where network namespaces are not available (forced here with WHARF_NO_NETNS=1), Wharf still
 * runs: one clear warning, and webServer functions limited to one container (they share the
 * host's ports).
 */
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

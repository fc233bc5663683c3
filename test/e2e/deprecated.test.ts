import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

describe("wharf serve examples/deprecated.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/deprecated.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const OLD = "deprecated-oldhandler-dev.localhost";
  const NEW = "deprecated-newhandler-dev.localhost";

  it("answers the same on the old and the new decorator", async () => {
    for (const host of [OLD, NEW]) {
      const answer = await served.request(host);
      expect(answer.status, host).toBe(200);
      expect(answer.json(), host).toEqual({ data: "value" });
    }
  });

  it("prints one DeprecationWarning naming fastapiEndpoint per container process", async () => {
    for (let i = 0; i < 3; i++) {
      for (const host of [OLD, NEW]) expect((await served.request(host)).status).toBe(200);
    }
    // Each function's container is its own process importing the whole bundle (which calls
    // webEndpoint once), so each prints the warning once. Wait for both before counting.
    await served.waitFor(/^\[oldHandler\] .*DeprecationWarning/);
    await served.waitFor(/^\[newHandler\] .*DeprecationWarning/);
    const warnings = served.lines.filter((line) => line.includes("DeprecationWarning"));
    for (const line of warnings) expect(line).toContain("fastapiEndpoint");
    expect(warnings.filter((line) => line.startsWith("[oldHandler] "))).toHaveLength(1);
    expect(warnings.filter((line) => line.startsWith("[newHandler] "))).toHaveLength(1);
    expect(warnings).toHaveLength(2);
  });
});

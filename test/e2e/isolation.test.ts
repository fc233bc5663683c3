/**
 * Isolation of local containers: a network namespace each (several webServer containers bind one
 * port; none reaches another's or the host's ports), memory limits with cgroups (a container over
 * its limit is killed, replaced, and the log says why). Needs root (CI runs as root).
 */
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

describe("container isolation", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/isolation.ts");
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("runs several containers of one webServer function on the same port", async () => {
    const answers = await Promise.all([0, 1, 2].map(() => served.request("isolation-shared-dev.localhost")));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const pids = new Set(answers.map((a) => a.json<{ pid: number }>().pid));
    expect(pids.size).toBe(3);
    expect(served.lines.some((l) => l.includes("network namespaces are not available"))).toBe(false);
  });

  it("keeps every container off the others' ports and the host's", async () => {
    const answer = await served.request("isolation-probe-dev.localhost", `/?port=${served.port}`);
    expect(answer.json()).toEqual({ webServer: false, gateway: false, otherSocket: null });
  });

  it("keeps every container off the others' Unix sockets", async () => {
    // The sockets live in the CLI's private run directory; from the host every one is reachable.
    const parent = join(tmpdir(), `wharf-run-${process.getuid?.() ?? "user"}`);
    const sockets = readdirSync(parent)
      .flatMap((d) => readdirSync(join(parent, d)).filter((f) => f.endsWith(".sock")).map((f) => join(parent, d, f)));
    expect(sockets.length).toBeGreaterThan(1);
    for (const socket of sockets) {
      const answer = await served.request("isolation-probe-dev.localhost", `/?port=${served.port}&socket=${encodeURIComponent(socket)}`);
      expect(answer.json<{ otherSocket: boolean }>().otherSocket).toBe(false);
    }
  });

  it("kills a container over its memory limit, says why, and replaces it", async () => {
    const fat = await served.request("isolation-hungry-dev.localhost", "/?mb=400");
    expect(fat.status).toBe(502);
    await served.waitFor(/container \S+ of hungry stopped \(crash: killed: over its memory limit of 128 MiB\)/);
    const lean = await served.request("isolation-hungry-dev.localhost", "/?mb=1");
    expect(lean.status).toBe(200);
    expect(lean.json()).toEqual({ held: 1 });
  });
});

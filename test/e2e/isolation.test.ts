/**
 * Isolation of local containers: a network namespace each (several webServer containers bind one
 * port; none reaches another's or the host's ports), memory limits with cgroups (a container over
 * its limit is killed, replaced, and the log says why). As root (CI runs as root), and the
 * network cases again as an ordinary user, whose containers get their network namespace through
 * a user namespace (issue 10.7).
 */
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServe, type Served } from "../helpers/serve.ts";
import { TEST_UID, asTestUser, canSwitchUser, userProject } from "../helpers/user.ts";

/** Every container socket of `uid`'s CLIs (`wharf-run-UID/b-…/a…/agent.sock`); the host sees them all. */
function socketsOf(uid: number): string[] {
  const parent = join(tmpdir(), `wharf-run-${uid}`);
  return readdirSync(parent).flatMap((b) =>
    readdirSync(join(parent, b), { withFileTypes: true })
      .filter((a) => a.isDirectory())
      .flatMap((a) => readdirSync(join(parent, b, a.name)).filter((f) => f.endsWith(".sock")).map((f) => join(parent, b, a.name, f))),
  );
}

function networkCases(get: () => Served, uid: number): void {
  it("runs several containers of one webServer function on the same port", async () => {
    const served = get();
    const answers = await Promise.all([0, 1, 2].map(() => served.request("isolation-shared-dev.localhost")));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.json<{ container: string }>().container)).size).toBe(3);
    expect(served.lines.some((l) => l.includes("network namespaces are not available"))).toBe(false);
  });

  it("keeps every container off the others' ports and the host's", async () => {
    const served = get();
    const answer = await served.request("isolation-probe-dev.localhost", `/?port=${served.port}`);
    expect(answer.json()).toEqual({ webServer: false, gateway: false, otherSocket: null });
  });

  it("keeps every container off the others' Unix sockets", async () => {
    const served = get();
    const sockets = socketsOf(uid);
    expect(sockets.length).toBeGreaterThan(1);
    const reached: string[] = [];
    for (const socket of sockets) {
      const answer = await served.request("isolation-probe-dev.localhost", `/?port=${served.port}&socket=${encodeURIComponent(socket)}`);
      if (answer.json<{ otherSocket: boolean }>().otherSocket) reached.push(socket);
    }
    // Its own socket is bound into its mount namespace (it serves the gateway there); no other is.
    expect(reached.length, reached.join(", ")).toBeLessThanOrEqual(1);
  });
}

describe.runIf(canSwitchUser())("container isolation as an ordinary user", () => {
  let served: Served;
  const project = userProject([join(ROOT, "test/fixtures/isolation.ts")]);
  beforeAll(async () => {
    served = await startServe(project.file("isolation.ts"), { cwd: project.dir, prefix: asTestUser, env: { HOME: project.home } });
  });
  afterAll(async () => {
    await served?.stop();
    project.remove();
  });
  networkCases(() => served, TEST_UID);
});

describe("container isolation", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/isolation.ts");
  });
  afterAll(async () => {
    await served?.stop();
  });
  networkCases(() => served, process.getuid?.() ?? 0);


  it("kills a container over its memory limit, says why, and replaces it", async () => {
    const fat = await served.request("isolation-hungry-dev.localhost", "/?mb=400");
    expect(fat.status).toBe(502);
    await served.waitFor(/container \S+ of hungry stopped \(crash: killed: over its memory limit of 128 MiB\)/);
    const lean = await served.request("isolation-hungry-dev.localhost", "/?mb=1");
    expect(lean.status).toBe(200);
    expect(lean.json()).toEqual({ held: 1 });
  });
});

/**
 * The container sandbox (docs/isolation.md), attacked from inside: a hostile app
 * (test/fixtures/hostile.ts) reads its own credentials, looks for other processes, tries to
 * unmount what hides the other containers' sockets and connect to them, to read the data dir, to
 * reach the admin API, to enter or trace the platform's process; every attempt must fail, and the
 * same app otherwise works (its project files, children, its webServer port). Under `wharf serve`
 * and `wharf server`, as root, and under `wharf serve` as an ordinary user.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Attack } from "../fixtures/hostile.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";
import { ROOT, startServe, type Served } from "../helpers/serve.ts";
import { TEST_UID, asTestUser, canSwitchUser, userProject } from "../helpers/user.ts";

const SANDBOX_UID_BASE = 2_000_000_000;

/** Every container socket on the host of `uid`'s CLIs (the host sees them all). */
function hostSockets(uid: number): string[] {
  const parent = join(tmpdir(), `wharf-run-${uid}`);
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSocket()) found.push(path);
      else if (entry.isDirectory() && depth < 3) walk(path, depth + 1);
    }
  };
  if (existsSync(parent)) walk(parent, 0);
  return found;
}

interface Target {
  request(host: string, path?: string, init?: { method?: "POST"; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string; json<T>(): T }>;
}

async function attack(target: Target, host: string, input: Record<string, unknown>): Promise<Attack> {
  const answer = await target.request(host, "/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) });
  expect(answer.status, answer.text).toBe(200);
  return answer.json<Attack>();
}

/** The assertions every run shares: least privilege, nothing of the platform, a working app. */
function expectContained(result: Attack, cliUid: number, sockets: string[]): void {
  // 1. Least privilege: a non-root uid (its own, under root), no capabilities, no_new_privs, alone.
  const [real, effective, saved, fs] = (result.uid ?? "").split(/\s+/).map(Number);
  expect(new Set([real, effective, saved, fs]).size).toBe(1);
  expect(real).not.toBe(0);
  if (cliUid === 0) expect(real).toBeGreaterThanOrEqual(SANDBOX_UID_BASE);
  else expect(real).toBe(cliUid);
  expect(result.capEff).toBe("0000000000000000");
  expect(result.noNewPrivs).toBe("1");
  expect(result.pids).toEqual(["1", "2"]); // bubblewrap's init and the agent, nothing of the host
  // 2. Nothing of the platform: the covering mount stays, other sockets are absent.
  expect(result.umount).not.toBe(0);
  const reached = Object.entries(result.socketReached ?? {}).filter(([, ok]) => ok);
  expect(sockets.length).toBeGreaterThan(1);
  expect(reached.length, `sockets reached: ${reached.map(([p]) => p).join(", ")}`).toBeLessThanOrEqual(1); // its own at most
  expect(result.adminApi).toBe(false);
  expect(result.nsenter).not.toBe(0);
  expect(result.ptrace).not.toBe("0");
  expect(result.otherWebServer).toBe(false);
  // …and a normal app otherwise.
  expect(result.projectFile).toMatch(/^ \* Fixture for sandbox tests/);
  expect(result.child).toMatch(/^child \d+$/);
}

describe("the sandbox under wharf serve", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/hostile.ts");
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("holds against an app attacking from inside, which otherwise works", async () => {
    const uid = process.getuid?.() ?? 0;
    const sockets = hostSockets(uid);
    const result = await attack(served, "hostile-attack-dev.localhost", {
      socketsDir: join(tmpdir(), `wharf-run-${uid}`),
      sockets,
      reads: ["/etc/shadow"],
      lists: [],
      adminPort: served.port,
      hostPid: served.proc.pid,
      projectFile: "test/fixtures/hostile.ts",
    });
    expectContained(result, uid, sockets);
    expect(result.sockets).not.toMatch(/^listed ([2-9]|\d\d)/);
    if (uid === 0) expect(result.reads?.["/etc/shadow"]).toBe("EACCES");
    const web = await served.request("hostile-web-dev.localhost");
    expect(web.status).toBe(200);
    expect(web.text).toMatch(uid === 0 ? /^web as 2\d{9}$/ : new RegExp(`^web as ${uid}$`));
  });
});

describe("the sandbox under wharf server", () => {
  let server: Server;
  const data = tempDataDir();
  const source = tempDataDir("wharf-hostile-src-");
  beforeAll(async () => {
    // The app's top-level code tries to read admin.json in the checker and in each container. A
    // server passes none of its environment to either, so the path is written into a copy of the app.
    const fixture = readFileSync(join(ROOT, "test/fixtures/hostile.ts"), "utf8");
    const baked = fixture.replace(`process.env["HOSTILE_TOP_LEVEL_READ"]`, JSON.stringify(join(data.dir, "admin.json")));
    expect(baked).not.toBe(fixture);
    writeFileSync(join(source.dir, "hostile.ts"), baked);
    server = await startServer(data.dir);
    for (const file of [join(source.dir, "hostile.ts"), "test/fixtures/isolation.ts"]) {
      const deployed = await cli(data.dir, ["deploy", file]);
      expect(deployed.code, deployed.output).toBe(0);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    data.remove();
    source.remove();
  });

  it("keeps the data dir, the admin API and other apps' containers out of reach (and from the checker)", async () => {
    const uid = process.getuid?.() ?? 0;
    const sockets = hostSockets(uid);
    const bundles = join(data.dir, "bundles");
    const result = await attack(server, "hostile-attack.localhost", {
      socketsDir: join(tmpdir(), `wharf-run-${uid}`),
      sockets,
      reads: [join(data.dir, "admin.json"), join(data.dir, "wharf.db"), ...readdirSync(bundles).map((b) => join(bundles, b))],
      lists: [data.dir, bundles],
      adminPort: server.adminPort,
      hostPid: server.proc.pid,
      projectFile: "test/fixtures/hostile.ts",
    });
    expectContained(result, uid, sockets);
    expect(Object.values(result.reads ?? {}).filter((r) => r === "read")).toEqual([]);
    expect(Object.values(result.lists ?? {}).filter((r) => r.startsWith("listed"))).toEqual([]);
    expect((await server.request("hostile-web.localhost")).status).toBe(200);
  });
});

describe.runIf(canSwitchUser())("the sandbox under wharf serve as an ordinary user", () => {
  let served: Served;
  const project = userProject([join(ROOT, "test/fixtures/hostile.ts")]);
  beforeAll(async () => {
    served = await startServe(project.file("hostile.ts"), { cwd: project.dir, prefix: asTestUser, env: { HOME: project.home } });
  });
  afterAll(async () => {
    await served?.stop();
    project.remove();
  });

  it("holds the same way, with the user's uid", async () => {
    const sockets = hostSockets(TEST_UID);
    const result = await attack(served, "hostile-attack-dev.localhost", {
      socketsDir: join(tmpdir(), `wharf-run-${TEST_UID}`),
      sockets,
      reads: [],
      lists: [],
      adminPort: served.port,
      hostPid: served.proc.pid,
      projectFile: "hostile.ts",
    });
    expectContained(result, TEST_UID, sockets);
    expect(served.lines.some((l) => l.startsWith("warning:"))).toBe(false);
    expect((await served.request("hostile-web-dev.localhost")).text).toBe(`web as ${TEST_UID}`);
  });
});

// Run by root, a project is often under a directory closed to others (/root is 0700): the
// container's own uid reaches the project still, and nothing else of that directory.
describe.runIf(process.getuid?.() === 0)("a project under a directory closed to others, served by root", () => {
  let closed: string;
  let served: Served;
  beforeAll(async () => {
    closed = mkdtempSync(join(tmpdir(), "wharf-closed-")); // 0700, as /root
    const project = join(closed, "proj");
    mkdirSync(project, { mode: 0o755 });
    writeFileSync(join(closed, "private.txt"), "not for containers\n", { mode: 0o644 });
    writeFileSync(
      join(project, "app.ts"),
      [
        `import { readdirSync, readFileSync } from "node:fs";`,
        `import * as wharf from "wharf";`,
        `const app = new wharf.App("closed");`,
        `const attempt = (f: () => unknown) => { try { return f(); } catch (e) { return (e as NodeJS.ErrnoException).code; } };`,
        `export const look = app.function()(wharf.fastapiEndpoint({ method: "GET" })(() => ({`,
        `  uid: process.getuid?.(),`,
        `  own: readFileSync("app.ts", "utf8").split("\\n")[0],`,
        `  listed: attempt(() => readdirSync(${JSON.stringify(closed)})),`,
        `  private: attempt(() => readFileSync(${JSON.stringify(join(closed, "private.txt"))}, "utf8")),`,
        `})));`,
      ].join("\n"),
    );
    served = await startServe("app.ts", { cwd: project });
  });
  afterAll(async () => {
    await served?.stop();
    rmSync(closed, { recursive: true, force: true });
  });

  it("serves it as the container's own uid, which sees the project and nothing else there", async () => {
    const answer = await served.request("closed-look-dev.localhost");
    expect(answer.status, answer.text).toBe(200);
    const seen = answer.json<{ uid: number; own: string; listed: unknown; private: unknown }>();
    expect(seen.uid).toBeGreaterThanOrEqual(SANDBOX_UID_BASE);
    expect(seen.own).toBe(`import { readdirSync, readFileSync } from "node:fs";`);
    expect(seen.listed).toEqual(["proj"]);
    expect(seen.private).toBe("ENOENT");
  });
});

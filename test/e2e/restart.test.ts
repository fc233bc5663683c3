/**
 * Restart safety of `wharf server`: `kill -9` in the middle of a deploy and under load, then a
 * restart on the same data dir. Every app, version and token comes back as it was before the
 * interrupted deploy (which left nothing behind: no version, no temp file, no process), and the
 * server's containers did not outlive it.
 */
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLoad } from "../helpers/load.ts";
import { CLI, ROOT } from "../helpers/serve.ts";
import { cli, processesTagged, startServer, tempDataDir, watchLines, type Server } from "../helpers/server.ts";

const source = (v: number, slow = false): string => `
import * as wharf from "wharf";
const app = new wharf.App("durable");
@app.cls({ concurrency: { maxInputs: 8 } })
export class Api {
  @wharf.enter() async setup() {
    ${slow ? `console.log("slow start of version ${v}"); await new Promise((r) => setTimeout(r, 10_000));` : ""}
  }
  @wharf.fastapiEndpoint({ label: "durable" }) get() { return { version: ${v} }; }
  @wharf.fastapiEndpoint({ label: "durable-secure", requiresProxyAuth: true }) secure() { return { secure: ${v} }; }
}
`;

describe("wharf server after kill -9", () => {
  const temp = tempDataDir("wharf-restart-");
  const data = join(temp.dir, "state");
  const file = join(temp.dir, "durable.ts");
  const wharf = (...args: string[]) => cli(data, args);
  const servers: Server[] = [];
  const tokens: Record<"kept" | "gone", { id: string; secret: string }> = { kept: { id: "", secret: "" }, gone: { id: "", secret: "" } };

  afterAll(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    temp.remove();
  });

  /** kill -9, then every process the server started must be gone within a few seconds. */
  async function killHard(server: Server): Promise<void> {
    // The server, its containers and standby runtimes: the tag does find them while they live.
    expect(processesTagged(server.tag).length).toBeGreaterThanOrEqual(3);
    server.proc.kill("SIGKILL");
    await server.exited;
    await expect.poll(() => processesTagged(server.tag), { timeout: 8000, interval: 200 }).toEqual([]);
  }

  it("builds up state: two versions of one app, another app, a stopped app, a kept and a revoked token", async () => {
    const server = await startServer(data);
    servers.push(server);
    for (const v of [1, 2]) {
      writeFileSync(file, source(v));
      expect((await wharf("deploy", file)).code).toBe(0);
    }
    expect((await wharf("deploy", "examples/hello.ts", "--name", "other")).code).toBe(0);
    expect((await wharf("deploy", "examples/hello.ts", "--name", "parked")).code).toBe(0);
    expect((await wharf("app", "stop", "parked")).code).toBe(0);
    for (const name of ["kept", "gone"] as const) {
      const created = await wharf("token", "create", "--name", name);
      tokens[name] = { id: /Modal-Key: (\S+)/.exec(created.output)?.[1] ?? "", secret: /Modal-Secret: (\S+)/.exec(created.output)?.[1] ?? "" };
    }
    expect((await wharf("token", "revoke", tokens.gone.id)).code).toBe(0);
    expect((await server.request("durable.localhost")).json()).toEqual({ version: 2 });
  }, 90_000);

  it("loses nothing and leaves nothing behind when killed during a deploy under load", async () => {
    const server = servers[0] as Server;
    const load = startLoad(server.port, "durable.localhost", { connections: 4, maxMs: 60_000 });
    await expect.poll(() => load.result.ok, { timeout: 10_000 }).toBeGreaterThan(20);

    writeFileSync(file, source(3, true));
    const deploy = spawn(process.execPath, [CLI, "deploy", file, "--data", data], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    const deploying = watchLines(deploy, "deploy");
    await server.waitFor(/slow start of version 3/, 30_000);
    await killHard(server);
    await load.stop();

    expect(await deploying.exited).toBe(1);
    expect(deploying.lines, deploying.lines.join("\n")).toHaveLength(1);
    expect(deploying.lines[0]).toMatch(/^error: the Wharf server at http:\/\/127\.0\.0\.1:\d+ did not answer .*see wharf app history$/);
    expect(readdirSync(join(data, "bundles")).filter((n) => !/^[0-9a-f]{64}\.mjs$/.test(n))).toEqual([]);
    // What a crash in the middle of writing a bundle would leave: never used, swept at start.
    writeFileSync(join(data, "bundles", ".tmp-deadbeef.mjs"), "export const half =");
  }, 90_000);

  it("restarts with every app, version and token as they were", async () => {
    const server = await startServer(data);
    servers.push(server);
    expect(server.lines).toContain(`✓ durable v2: web function Api.get => http://durable.localhost:${server.port}`);
    expect((await server.request("durable.localhost")).json()).toEqual({ version: 2 });
    expect((await server.request("other-hello.localhost")).json()).toEqual({ message: "Hello, world!" });
    expect((await server.request("parked-hello.localhost")).status).toBe(404);

    const list = (await wharf("app", "list")).output;
    expect(list).toMatch(/^durable\s+v2\s+active\s/m);
    expect(list).toMatch(/^other\s+v1\s+active\s/m);
    expect(list).toMatch(/^parked\s+v1\s+stopped\s+-\s+-$/m);
    // The app's logs were on disk: what its containers wrote before the kill is still there.
    expect((await wharf("app", "logs", "durable")).output).toMatch(/^\S+Z \[Api\] slow start of version 3$/m);
    const history = (await wharf("app", "history", "durable")).output.trim().split("\n").slice(1);
    expect(history.map((l) => l.split(/\s{2,}/)[2])).toEqual(["superseded", "active"]);

    const secure = (t: { id: string; secret: string }) => server.request("durable-secure.localhost", "/", { headers: { "modal-key": t.id, "modal-secret": t.secret } });
    expect((await secure(tokens.kept)).json()).toEqual({ secure: 2 });
    expect((await secure(tokens.gone)).status).toBe(401);
    expect((await wharf("token", "list")).output).toMatch(new RegExp(`^${tokens.gone.id}\\s+gone\\s+\\S+ \\S+\\s+\\d{4}-`, "m"));
    // Left: the bundles of durable v1 and v2 and of hello (other and parked share it); the
    // interrupted deploy's bundle and the temp file are gone.
    expect(readdirSync(join(data, "bundles"))).toHaveLength(3);
  }, 90_000);

  it("deploys again without a failed request, and survives another kill -9 under load", async () => {
    const server = servers[1] as Server;
    const load = startLoad(server.port, "durable.localhost", { connections: 4, maxMs: 60_000 });
    await expect.poll(() => load.result.ok, { timeout: 10_000 }).toBeGreaterThan(20);
    writeFileSync(file, source(3));
    const deployed = await wharf("deploy", file);
    expect(deployed.output).toContain("app durable: version 3 is live");
    await expect.poll(() => load.result.bodies.get('{"version":3}') ?? 0, { timeout: 10_000 }).toBeGreaterThan(20);
    expect(load.result.failed).toEqual([]);

    await killHard(server);
    await load.stop();
    const again = await startServer(data);
    servers.push(again);
    expect((await again.request("durable.localhost")).json()).toEqual({ version: 3 });
    expect((await wharf("app", "history", "durable")).output).toMatch(/^v3\s+\S+ \S+\s+active\s+deploy$/m);
    await again.stop();
    await expect.poll(() => processesTagged(again.tag), { timeout: 8000, interval: 200 }).toEqual([]);
  }, 90_000);
});

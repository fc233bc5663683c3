/**
 * `wharf server` + `wharf deploy` + `wharf app …` end to end over real processes and sockets:
 * deploy, list, history, rollback, stop and logs; failed deploys (build error, load error,
 * container start error, label conflict) leave the running version serving; and under a steady
 * load, deploys, failed deploys and rollbacks fail no request.
 */
import { spawn } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../helpers/load.ts";
import { CLI, ROOT, runToEnd } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, watchLines, type Server } from "../helpers/server.ts";

const source = (v: number, extra = ""): string => `
import * as wharf from "wharf";
const app = new wharf.App("steady");
@app.cls({ maxContainers: 4, concurrency: { maxInputs: 4 } })
export class Api {
  ${extra}
  @wharf.fastapiEndpoint({ label: "steady" }) get() {
    return new Promise((r) => setTimeout(() => r({ version: ${v} }), 5));
  }
  @wharf.exit() bye() { console.log("exit hook of version ${v}"); }
}
export const echo = app.function()(
  wharf.fastapiEndpoint()(function echo(query: { say?: string }) {
    console.log("said " + query.say);
    return { version: ${v} };
  }),
);
`;

/** Exit code 1 and exactly one line, `error: …`. */
function expectOneLineError(result: { code: number | null; output: string }, pattern: RegExp): string {
  expect(result.code, result.output).toBe(1);
  const lines = result.output.trim().split("\n");
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  return lines[0] ?? "";
}

describe("wharf server and wharf deploy", () => {
  const temp = tempDataDir("wharf-server-");
  // Not there yet: the server creates it (0700).
  const state = join(temp.dir, "state");
  const apps = tempDataDir("wharf-apps-");
  const file = join(apps.dir, "steady.ts");
  let server: Server;
  const wharf = (...args: string[]) => cli(state, args);
  const deployFile = (text: string, name = "steady.ts") => {
    writeFileSync(join(apps.dir, name), text);
    return wharf("deploy", join(apps.dir, name));
  };
  const version = async (): Promise<unknown> => (await server.request("steady.localhost")).json();

  beforeAll(async () => {
    server = await startServer(state);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    temp.remove();
    apps.remove();
  });

  it("deploys: one line per endpoint, labels without -dev, served by the gateway", async () => {
    writeFileSync(file, source(1));
    const deployed = await wharf("deploy", file);
    expect(deployed.code, deployed.output).toBe(0);
    expect(deployed.output).toContain(`✓ web function Api.get => http://steady.localhost:${server.port}\n`);
    expect(deployed.output).toContain(`✓ web function echo => http://steady-echo.localhost:${server.port}\n`);
    expect(await version()).toEqual({ version: 1 });
    expect((await server.request("steady-dev.localhost")).status).toBe(404);
  });

  it("fails no request across deploys, failed deploys and rollbacks under load", async () => {
    const load = startLoad(server.port, "steady.localhost", { connections: 8, maxMs: 120_000 });
    const bodies = (v: number): number => load.result.bodies.get(`{"version":${v}}`) ?? 0;
    try {
      await expect.poll(() => load.result.ok, { timeout: 10_000 }).toBeGreaterThan(50);

      expect((await deployFile(source(2))).code).toBe(0);
      await server.waitFor(/exit hook of version 1/, 30_000);
      await expect.poll(() => bodies(2), { timeout: 10_000 }).toBeGreaterThan(50);

      // Three ways to fail; each leaves v2 serving.
      expectOneLineError(await deployFile(`${source(3)}\nexport const broken = ;\n`), /steady\.ts:\d+:\d+: /);
      const serveError = (await runToEnd(["serve", "examples/broken/async-factory.ts", "--port", "0"])).output.split("\n").find((l) => l.startsWith("error: "));
      expect(expectOneLineError(await wharf("deploy", "examples/broken/async-factory.ts"), /can't be applied to an async function/)).toBe(serveError);
      expectOneLineError(await deployFile(source(3, `@wharf.enter() setup() { throw new Error("no database at DB_URL"); }`)), /steady did not start: .*no database at DB_URL.*; v2 keeps serving$/);
      const stillTwo = bodies(2);
      await expect.poll(() => bodies(2), { timeout: 10_000 }).toBeGreaterThan(stillTwo + 50);
      expect(bodies(3)).toBe(0);

      const back = await wharf("app", "rollback", "steady");
      expect(back.code, back.output).toBe(0);
      expect(back.output).toContain("app steady: version 3 is live");
      const ones = bodies(1);
      await expect.poll(() => bodies(1), { timeout: 10_000 }).toBeGreaterThan(ones + 50);

      expect((await wharf("app", "rollback", "steady", "v2")).code).toBe(0);
      const twos = bodies(2);
      await expect.poll(() => bodies(2), { timeout: 10_000 }).toBeGreaterThan(twos + 50);
    } finally {
      const result = await load.stop();
      expect(result.failed).toEqual([]);
    }
    expect(await version()).toEqual({ version: 2 });
  }, 120_000);

  it("lists apps and shows history with each version's state", async () => {
    const list = await wharf("app", "list");
    expect(list.code).toBe(0);
    expect(list.output).toMatch(new RegExp(`^steady\\s+v4\\s+active\\s+http://steady\\.localhost:${server.port} http://steady-echo\\.localhost:${server.port}\\s+-$`, "m"));
    const history = await wharf("app", "history", "steady");
    expect(history.code).toBe(0);
    const rows = history.output.trim().split("\n").slice(1).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => [r[0], r[2], r[3]])).toEqual([
      ["v1", "superseded", "deploy"],
      ["v2", "superseded", "deploy"],
      ["v3", "superseded", "rollback to v1"],
      ["v4", "active", "rollback to v2"],
    ]);
    expect(rows[0]?.[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("shows an app's logs, prefixed by function, and follows new ones", async () => {
    expect((await server.request("steady-echo.localhost", "/?say=before-logs")).status).toBe(200);
    await expect.poll(async () => (await wharf("app", "logs", "steady")).output, { timeout: 5000 }).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[echo\] said before-logs$/m);
    // --function picks one function's lines; --since drops older ones; a function that does not exist is refused.
    expect((await wharf("app", "logs", "steady", "--function", "echo")).output).toContain("[echo] said before-logs");
    expect((await wharf("app", "logs", "steady", "--function", "Api")).output).not.toContain("said before-logs");
    expect((await wharf("app", "logs", "steady", "--since", "10m")).output).toContain("[echo] said before-logs");
    const future = await wharf("app", "logs", "steady", "--since", new Date(Date.now() + 60_000).toISOString());
    expect([future.code, future.output]).toEqual([0, ""]);
    const unknown = await wharf("app", "logs", "steady", "--function", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/app steady has no function nope: its functions are /);
    expect((await wharf("app", "logs", "steady", "--since", "yesterday")).code).toBe(2);

    const follow = spawn(process.execPath, [CLI, "app", "logs", "steady", "-f", "--data", state], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    const followed = watchLines(follow, "logs -f");
    await followed.waitFor(/Z \[echo\] said before-logs$/);
    expect((await server.request("steady-echo.localhost", "/?say=while-following")).status).toBe(200);
    await followed.waitFor(/Z \[echo\] said while-following$/);
    follow.kill("SIGINT");
    expect(await followed.exited).toBe(0);
  });

  it("deploys under another name with --name, and refuses a label another app holds, naming both", async () => {
    const renamed = await wharf("deploy", "examples/hello.ts", "--name", "greeter");
    expect(renamed.code, renamed.output).toBe(0);
    expect(renamed.output).toContain(`✓ web function hello => http://greeter-hello.localhost:${server.port}`);
    expect((await server.request("greeter-hello.localhost")).json()).toEqual({ message: "Hello, world!" });

    const clash = await wharf("deploy", file, "--name", "copy");
    expectOneLineError(clash, /label "steady" is claimed by both Api\.get of app steady and Api\.get of app copy/);
    expect((await wharf("app", "list")).output).not.toMatch(/^copy\s/m);
    expect(await version()).toEqual({ version: 2 });
    expect((await wharf("deploy", file, "--name", "Not_A_Name")).code).toBe(2);
  });

  it("stops an app: routes removed, state stopped, other apps untouched", async () => {
    const stopped = await wharf("app", "stop", "steady");
    expect(stopped.code, stopped.output).toBe(0);
    expect((await server.request("steady.localhost")).status).toBe(404);
    expect((await server.request("greeter-hello.localhost")).status).toBe(200);
    expect((await wharf("app", "list")).output).toMatch(/^steady\s+v4\s+stopped\s+-\s+-$/m);
    expect((await wharf("app", "history", "steady")).output).toMatch(/^v4\s+\S+ \S+\s+stopped\s+rollback to v2$/m);
    expectOneLineError(await wharf("app", "stop", "steady"), /app steady is already stopped/);
    expect((await wharf("app", "rollback", "steady", "1")).code).toBe(0);
    expect(await version()).toEqual({ version: 1 });
  });

  it("refuses unknown apps (exit 1), bad usage (exit 2) and calls without the admin token (401)", async () => {
    expectOneLineError(await wharf("app", "history", "nope"), /^error: no app named nope on this server: see wharf app list$/);
    expectOneLineError(await wharf("app", "rollback", "steady", "99"), /app steady has no version 99/);
    for (const args of [["deploy"], ["app"], ["app", "rollback", "steady", "latest"], ["app", "list", "extra"], ["server", "file.ts"]]) {
      expect((await wharf(...args)).code, args.join(" ")).toBe(2);
    }
    const empty = tempDataDir("wharf-empty-");
    expectOneLineError(await cli(empty.dir, ["app", "list"]), /no Wharf server data in .* \(no admin\.json\): start one with wharf server --data /);
    empty.remove();

    const base = `http://127.0.0.1:${server.adminPort}/v1/apps`;
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(base, { headers: { authorization: "Bearer wa-wrong" } })).status).toBe(401);
    const refused = await fetch(`http://127.0.0.1:${server.adminPort}/v1/tokens`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
  });

  it("keeps its state private in the data dir, bundles content-addressed", () => {
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, "admin.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, "wharf.db")).mode & 0o777).toBe(0o600);
    const bundles = readdirSync(join(state, "bundles"));
    expect(bundles.length).toBeGreaterThanOrEqual(3);
    for (const name of bundles) expect(name).toMatch(/^[0-9a-f]{64}\.mjs$/);
  });
});

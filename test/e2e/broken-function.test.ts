/**
 * One broken function never takes the rest down under `wharf serve`: a function whose container
 * cannot start is reported once, naming it and the reason; its endpoints answer 503
 * `wharf: <function> failed to start: <reason>` (retried with backoff, on the status page) while
 * every other function serves. `wharf deploy` still refuses such a version, with the same line.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionStatus } from "../helpers/status.ts";
import { startServe, type Served } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const BROKEN = {
  silent: { host: "one-broken-silent-dev.localhost", reason: /port 8998.*within 1s \(startupTimeout\)/ },
  numeric: { host: "one-broken-numeric-dev.localhost", reason: /asgiApp function numeric returned a number \(42\), expected a fetch-style app/ },
  throws: { host: "one-broken-throws-dev.localhost", reason: /no config file/ },
  Hooked: { host: "one-broken-hooked-get-dev.localhost", reason: /no database at DB_URL/ },
} as const;

const lineOf = (served: Served, name: string): string[] => served.lines.filter((l) => l.startsWith(`error: ${name} failed to start: `));

describe("wharf serve of an app with broken functions", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/one-broken.ts");
    await served.waitFor(/✓ web function ok =>/);
  });
  afterAll(async () => {
    await served.stop();
  });

  it("serves the healthy function", async () => {
    const answer = await served.request("one-broken-ok-dev.localhost");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ ok: true });
  });

  for (const [name, { host, reason }] of Object.entries(BROKEN)) {
    it(`reports ${name} once with its reason, and answers 503 with the same line`, async () => {
      const lines = lineOf(served, name);
      expect(lines, served.lines.join("\n")).toHaveLength(1);
      const line = (lines[0] ?? "").slice("error: ".length).replace(/ \(its endpoints answer 503 until it starts; retrying with backoff\)$/, "");
      expect(line).toMatch(reason);
      const answer = await served.request(host);
      expect(answer.status).toBe(503);
      expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
      expect(answer.headers["retry-after"]).toBeDefined();
      expect(answer.text).toBe(`wharf: ${line}\n`);
      const status = await functionStatus(served, name);
      expect(status.startFailure).toBe(line.slice(`${name} failed to start: `.length));
      expect(status.containers).toBe(0);
    });
  }

  it("shows no start failure for the healthy function on the status page", async () => {
    expect((await functionStatus(served, "ok")).startFailure).toBeNull();
  });

  it("retries with backoff without reporting again, and the healthy function keeps serving", async () => {
    const before = (await functionStatus(served, "throws")).totals.startFailures;
    expect(before).toBeGreaterThanOrEqual(1);
    await sleep(4_000); // retries at 1 s, then 2 s: at least one more attempt
    for (const name of Object.keys(BROKEN)) expect(lineOf(served, name)).toHaveLength(1);
    expect((await served.request("one-broken-ok-dev.localhost")).status).toBe(200);
    expect((await served.request(BROKEN.throws.host)).status).toBe(503);
    expect(served.proc.exitCode).toBeNull();
    const after = await functionStatus(served, "throws");
    expect(after.totals.startFailures).toBeGreaterThan(before);
    expect(after.totals.started).toBe(0);
  });
});

describe("wharf deploy of the same app", () => {
  const data = tempDataDir();
  let server: Server;
  beforeAll(async () => {
    server = await startServer(data.dir);
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
  });

  it("is refused before anything changes, with the failing function's line", async () => {
    const { code, output } = await cli(data.dir, ["deploy", "test/fixtures/one-broken.ts"]);
    expect(code).toBe(1);
    expect(output).toMatch(/^error: one-broken did not start: (silent|numeric|throws|Hooked) failed to start: .+; nothing was changed$/m);
    const list = await cli(data.dir, ["app", "list"]);
    expect(list.output).toContain("no apps");
  });
});

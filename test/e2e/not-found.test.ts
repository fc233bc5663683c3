/**
 * The unknown-host 404: the exact plain-text line for curl (docs/reference.md §3), an HTML page for a browser
 * (`Accept: text/html`) that lists the endpoints that exist under `wharf serve`, and under
 * `wharf server` only points at the dashboard (which apps run there is behind the admin token).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const BROWSER = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

describe("unknown host on wharf serve", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/dashboard.ts", { args: ["--quiet"] });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("answers curl with the plain-text line", async () => {
    for (const headers of [{}, { accept: "*/*" }, { accept: "application/json" }]) {
      const answer = await served.request("nope-dev.localhost", "/", { headers });
      expect(answer.status).toBe(404);
      expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(answer.text).toBe(`wharf: no web endpoint at nope-dev.localhost\n`);
    }
  });

  it("answers a browser with a page listing the endpoints that exist", async () => {
    const answer = await served.request("nope-dev.localhost", "/x", { headers: BROWSER });
    expect(answer.status).toBe(404);
    expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(answer.text).toContain("<h1>wharf: no web endpoint at nope-dev.localhost</h1>");
    expect(answer.text).toContain(`<a href="http://dash-hello-dev.localhost:${served.port}">`);
    expect(answer.text).toContain(`<a href="http://dash-boom-dev.localhost:${served.port}">`);
    expect(answer.text).toContain(`<a href="http://wharf.localhost:${served.port}">dashboard</a>`);
  });

  it("escapes the host it names", async () => {
    const answer = await served.request("a<b>.localhost", "/", { headers: BROWSER });
    expect(answer.status === 400 || !answer.text.includes("<b>")).toBe(true);
  });
});

describe("unknown host on wharf server", () => {
  const temp = tempDataDir("wharf-notfound-");
  let server: Server;
  beforeAll(async () => {
    server = await startServer(temp.dir);
    const deployed = await cli(temp.dir, ["deploy", "test/fixtures/dashboard.ts"]);
    expect(deployed.code, deployed.output).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  it("keeps the list of apps to the dashboard", async () => {
    const answer = await server.request("nope.localhost", "/", { headers: BROWSER });
    expect(answer.status).toBe(404);
    expect(answer.text).toContain("<h1>wharf: no web endpoint at nope.localhost</h1>");
    expect(answer.text).not.toContain("dash-hello");
    expect(answer.text).toContain(`href="http://wharf.localhost:${server.port}/"`);
    expect((await server.request("nope.localhost")).text).toBe("wharf: no web endpoint at nope.localhost\n");
  });
});

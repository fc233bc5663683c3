/**
 * webServer end to end: examples/web-server.ts (a spawned Python server, an in-process Node
 * server, Express calling listen(), a WebSocket echo server) behind the gateway; nothing left
 * running after Ctrl-C; and a function that never listens failing with a clear message.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { allProcesses, containerTree, running, survivors } from "../helpers/procs.ts";
import { ROOT, startServe, type Served } from "../helpers/serve.ts";

describe("wharf serve examples/web-server.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/web-server.ts");
    await served.waitFor(/web function echo =>/);
  });
  afterAll(async () => {
    await served.stop();
  });

  it("prints every endpoint, fileServer at its own label", async () => {
    const port = served.port;
    expect(await served.waitFor(/web function fileServer =>/)).toBe(`✓ web function fileServer => http://my-server-dev.localhost:${port}`);
    expect(await served.waitFor(/web function nodeServer =>/)).toBe(`✓ web function nodeServer => http://web-server-nodeserver-dev.localhost:${port}`);
    expect(await served.waitFor(/web function expressServer =>/)).toBe(`✓ web function expressServer => http://web-server-expressserver-dev.localhost:${port}`);
    expect(await served.waitFor(/web function echo =>/)).toBe(`✓ web function echo => http://web-server-echo-dev.localhost:${port}`);
  });

  it("proxies to python's http.server, which serves examples/ relative to the CLI's directory", async () => {
    const answer = await served.request("my-server-dev.localhost", "/hello.ts");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(readFileSync(resolve(ROOT, "examples", "hello.ts"), "utf8"));
    expect(answer.headers["server"]).toMatch(/^SimpleHTTP\/.* Python\//);
    const missing = await served.request("my-server-dev.localhost", "/no-such-file.ts");
    expect(missing.status).toBe(404);
    // Python's access log reaches the CLI's output, prefixed with the function's name.
    expect(await served.waitFor(/^\[fileServer\] .*"GET \/hello\.ts HTTP\/1\.1" 200/)).toBeTruthy();
  });

  it("proxies to the in-process node:http server, path and query included", async () => {
    const answer = await served.request("web-server-nodeserver-dev.localhost", "/some/path?x=1");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ server: "node:http", method: "GET", path: "/some/path?x=1" });
    const post = await served.request("web-server-nodeserver-dev.localhost", "/p", { method: "POST", body: "ignored" });
    expect(post.json()).toEqual({ server: "node:http", method: "POST", path: "/p" });
  });

  it("proxies to an Express app that called listen() itself", async () => {
    const answer = await served.request("web-server-expressserver-dev.localhost", "/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("Hello from Express, listening on 8080!");
    const missing = await served.request("web-server-expressserver-dev.localhost", "/nope");
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("Cannot GET /nope");
  });

  it("answers plain HTTP on the echo server", async () => {
    const answer = await served.request("web-server-echo-dev.localhost", "/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("WebSocket echo server: connect with a WebSocket client.\n");
  });

  it("passes a WebSocket through the gateway: text and binary messages echo back", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${served.port}/`, { headers: { host: `web-server-echo-dev.localhost:${served.port}` } });
    const received: { data: Buffer; isBinary: boolean }[] = [];
    const waiters: (() => void)[] = [];
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      received.push({ data, isBinary });
      waiters.shift()?.();
    });
    const next = (): Promise<{ data: Buffer; isBinary: boolean }> =>
      new Promise((done, fail) => {
        socket.once("error", fail);
        const take = (): void => {
          socket.off("error", fail);
          const message = received.shift();
          if (message === undefined) fail(new Error("no message"));
          else done(message);
        };
        if (received.length > 0) take();
        else waiters.push(take);
      });
    try {
      await new Promise<void>((done, fail) => {
        socket.once("open", () => done());
        socket.once("error", fail);
        socket.once("unexpected-response", (_req, res) => fail(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      });
      socket.send("hello through the gateway");
      const text = await next();
      expect(text.isBinary).toBe(false);
      expect(text.data.toString("utf8")).toBe("hello through the gateway");

      const bytes = Buffer.from([0, 1, 2, 253, 254, 255, 10, 13]);
      socket.send(bytes);
      const binary = await next();
      expect(binary.isBinary).toBe(true);
      expect(Buffer.compare(binary.data, bytes)).toBe(0);

      const big = Buffer.alloc(256 * 1024, 7);
      socket.send(big);
      const bigBack = await next();
      expect(bigBack.data.length).toBe(big.length);
      expect(Buffer.compare(bigBack.data, big)).toBe(0);
    } finally {
      socket.terminate();
    }
  });

  // Last: stops this describe's CLI and checks that nothing it started outlives it.
  it("leaves no process behind after Ctrl-C", async () => {
    const { groups, started, pythons } = containerTree(served.proc.pid ?? -1);
    expect(groups.size).toBeGreaterThanOrEqual(4);
    expect(pythons.length).toBeGreaterThanOrEqual(1);

    expect(await served.stop("SIGINT")).toBe(0);

    expect(await survivors([...started])).toEqual([]);
    expect(pythons.filter((p) => running(p.pid))).toEqual([]);
    // Nothing new joined those groups either.
    expect(allProcesses().filter((p) => groups.has(p.pgid) && p.state !== "Z")).toEqual([]);
  });
});

describe("a webServer that never listens", () => {
  it("is reported once by `wharf serve`, naming the function, the port and startupTimeout, and answers 503", async () => {
    const served = await startServe("test/fixtures/never-listens.ts");
    try {
      const error = await served.waitFor(/^error: /);
      expect(error).toMatch(/^error: idle failed to start: /);
      expect(error).toMatch(/\bport 8999\b/);
      expect(error).toMatch(/within 1s \(startupTimeout\)/);
      const answer = await served.request("never-listens-idle-dev.localhost");
      expect(answer.status).toBe(503);
      expect(answer.text).toMatch(/^wharf: idle failed to start: .*port 8999/);
      expect(served.lines.filter((l) => l.startsWith("error:"))).toHaveLength(1);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });
});

describe("after kill -9 of wharf serve", () => {
  it("leaves no container or spawned program behind", async () => {
    const served = await startServe("test/fixtures/careless-spawner.ts");
    const { started, pythons } = containerTree(served.proc.pid ?? -1);
    expect(pythons.length).toBeGreaterThanOrEqual(1);
    // No Ctrl-C, no cleanup: the agents notice their platform is gone and end their groups.
    await served.stop("SIGKILL");
    expect(await survivors([...started], 10_000)).toEqual([]);
  });
});

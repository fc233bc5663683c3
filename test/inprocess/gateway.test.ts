/**
 * The gateway, pool, scaler and a version driven in-process (issue 7.5) over the memory backend
 * (test/fakes/memory-backend.ts): real sockets, no CLI and no container process, so each case runs
 * in milliseconds. The same behaviours have e2e tests through the CLI; these pin them at the seam.
 */
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleApp } from "../../src/build/bundle.ts";
import { checkBundle } from "../../src/build/check.ts";
import { planEndpoints } from "../../src/control/plan.ts";
import { Version } from "../../src/control/version.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { buildRouteTable } from "../../src/gateway/route-table.ts";
import { MemoryBackend } from "../fakes/memory-backend.ts";
import { ROOT } from "../helpers/serve.ts";

const seen: Record<string, string | string[] | undefined>[] = [];
/** Requests to `held` wait here until released. */
const waiting: (() => void)[] = [];

const backend = new MemoryBackend({
  hello: (req, res, c) => {
    seen.push(req.headers);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ container: c.id }));
  },
  guarded: (_req, res) => res.writeHead(200).end("guarded"),
  held: (_req, res) => waiting.push(() => res.writeHead(200).end("held")),
  single: (_req, res) => waiting.push(() => res.writeHead(200).end("single")),
});

let version: Version;
let gateway: Gateway;
let port: number;
const events: string[] = [];

/** One GET through the gateway; a connection error comes back as status 0 with its message. */
async function get(host: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  try {
    const answer = await request(`http://127.0.0.1:${port}/`, { headers: { host: `${host}.localhost`, ...headers } });
    return { status: answer.statusCode, text: await answer.body.text() };
  } catch (err) {
    return { status: 0, text: err instanceof Error ? err.message : String(err) };
  }
}

async function until(what: string, test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  const bundle = await bundleApp(join(ROOT, "test/inprocess/fixtures/app.ts"), join(ROOT, "dist/sdk.js"));
  const manifest = await checkBundle(join(ROOT, "dist/agent.js"), bundle.path, ROOT);
  version = new Version({
    backend,
    bundle: bundle.path,
    cwd: ROOT,
    manifest,
    planned: planEndpoints(manifest, { dev: false, baseDomain: "localhost" }),
    maxQueue: 2,
    graceMs: 1000,
    onLog: () => {},
    onEvent: (m) => events.push(m),
  });
  await version.start({ isolate: true });
  gateway = new Gateway({ verify: () => false });
  const built = buildRouteTable("localhost", version.endpoints);
  if ("conflicts" in built) throw new Error(built.conflicts.join("; "));
  gateway.setRoutes(built.table);
  port = await gateway.listen(0, "127.0.0.1");
}, 60_000);

afterAll(async () => {
  for (const release of waiting.splice(0)) release();
  await gateway?.close();
  await version?.stop("shutdown", 0);
  await backend.close();
});

describe("the gateway in-process, over the memory backend", () => {
  it("routes by Host to the function's container", async () => {
    const answer = await get("inproc-hello");
    expect(answer.status).toBe(200);
    expect(backend.running("hello").map((c) => c.id)).toContain((JSON.parse(answer.text) as { container: string }).container);
  });

  it("never passes the client's credentials or x-wharf-* headers to a container", async () => {
    seen.length = 0;
    const answer = await get("inproc-hello", { "modal-key": "wk-x", "modal-secret": "ws-y", authorization: "Bearer wk-x.ws-y", "x-wharf-endpoint": "other" });
    expect(answer.status).toBe(200);
    const headers = seen[0] ?? {};
    expect(Object.keys(headers).filter((h) => ["modal-key", "modal-secret", "authorization"].includes(h) || h.startsWith("x-wharf-"))).toEqual([]);
  });

  it("refuses a protected endpoint without credentials before it reaches a container", async () => {
    const before = backend.containers.filter((c) => c.fn === "guarded").reduce((n, c) => n + c.received, 0);
    const answer = await get("inproc-guarded");
    expect(answer.status).toBe(401);
    expect(answer.text).toMatch(/^wharf: /);
    expect(backend.containers.filter((c) => c.fn === "guarded").reduce((n, c) => n + c.received, 0)).toBe(before);
  });

  it("scales an idle function to zero and starts a container for the next request", async () => {
    await until("hello at zero", () => backend.running("hello").length === 0);
    const started = backend.containers.length;
    const answer = await get("inproc-hello");
    expect(answer.status).toBe(200);
    expect(backend.containers.length).toBe(started + 1);
  });

  it("answers 503 past the queue: one in flight, two queued, the next refused", async () => {
    const answers = [get("inproc-single"), get("inproc-single"), get("inproc-single")];
    await until("one in flight", () => waiting.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await get("inproc-single");
    expect(refused.status).toBe(503);
    while ((await Promise.race([Promise.all(answers).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20))])) === false) waiting.shift()?.();
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it("a crash fails exactly the requests that were in the container, and the next one is served", async () => {
    waiting.length = 0;
    const inFlight = [get("inproc-held"), get("inproc-held"), get("inproc-held")];
    await until("three in the container", () => waiting.length === 3);
    const [container] = backend.running("held");
    container?.crash();
    const failed = await Promise.all(inFlight);
    expect(failed).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ status: 502 })));
    waiting.length = 0;
    const next = get("inproc-held");
    await until("the replacement's request", () => waiting.length === 1);
    waiting.shift()?.();
    expect((await next).status).toBe(200);
    await until("the crash line", () => events.some((e) => /stopped \(crash: SIGKILL\); 3 in-flight request\(s\) failed/.test(e)));
  });

  it("the same when the crash's exit is seen before its connections fail: nothing is sent twice", async () => {
    await until("held idle", () => backend.running("held").length === 1 && waiting.length === 0);
    const before = backend.containers.filter((c) => c.fn === "held").reduce((n, c) => n + c.received, 0);
    const inFlight = [get("inproc-held"), get("inproc-held"), get("inproc-held")];
    await until("three in the container", () => waiting.length === 3);
    backend.running("held")[0]?.crash({ exitFirst: true });
    const failed = await Promise.race([Promise.all(inFlight), new Promise<"resent">((r) => setTimeout(() => r("resent"), 3000))]);
    expect(failed).not.toBe("resent");
    expect(failed).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ status: 502 })));
    // The replacement received nothing: no request ran twice.
    expect(backend.containers.filter((c) => c.fn === "held").reduce((n, c) => n + c.received, 0)).toBe(before + 3);
  });
});

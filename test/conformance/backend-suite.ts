/**
 * One conformance suite for every Backend (one contract, one suite): what the
 * autoscaler and the gateway rely on, checked at the interface itself against real containers.
 * A backend's test file calls `backendConformance` with how to make it and how to tell that its
 * containers are gone (local: no process; Kubernetes: no pod, replicas 0).
 *
 * - start resolves once the container serves, at `handle.address` with `handle.headers`;
 * - two starts are two containers;
 * - a container that dies settles `exited`, and the next start serves again (the autoscaler's
 *   replacement);
 * - stop lets an in-flight request finish (drain), then the container is gone;
 * - with every handle stopped, nothing of the function runs (scale to zero).
 */
import { join } from "node:path";
import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, ContainerHandle, ContainerSpec } from "../../src/backends/backend.ts";
import { bundleApp } from "../../src/build/bundle.ts";
import { checkBundle } from "../../src/build/check.ts";
import type { FunctionManifest } from "../../src/runtime/manifest.ts";
import { ROOT } from "../helpers/serve.ts";

export const AGENT = join(ROOT, "dist", "agent.js");
const SDK = join(ROOT, "dist", "sdk.js");
const FIXTURE = join(ROOT, "test", "conformance", "fixtures", "subject.ts");

export interface Subject {
  backend: Backend;
  /** Resolves once nothing of `handles` runs any more (within the backend's own time). */
  gone(handles: ContainerHandle[]): Promise<void>;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: { container: string; path: string };
}

async function ask(handle: ContainerHandle, path: string): Promise<Answer> {
  const client = "socketPath" in handle.address
    ? new Client("http://container", { socketPath: handle.address.socketPath })
    : new Client(`http://${handle.address.host}:${handle.address.port}`);
  try {
    const answer = await client.request({ path, method: "GET", headers: { host: "conformance.localhost", ...handle.headers } });
    return { status: answer.statusCode, body: (await answer.body.json()) as Answer["body"] };
  } finally {
    await client.close();
  }
}

export function backendConformance(name: string, make: () => Promise<Subject>): void {
  describe(`Backend conformance: ${name}`, () => {
    let subject: Subject;
    let spec: () => ContainerSpec;
    let ids = 0;
    beforeAll(async () => {
      const bundle = await bundleApp(FIXTURE, SDK);
      const manifest = await checkBundle(AGENT, bundle.path, ROOT);
      const fn = manifest.functions[0] as FunctionManifest;
      subject = await make();
      spec = () => ({
        id: `k${++ids}`,
        functionName: fn.name,
        app: { name: manifest.app, version: 1, function: fn },
        bundle: bundle.path,
        env: {},
        cwd: ROOT,
        memoryMiB: null,
        onLog: () => {},
      });
    }, 120_000);
    afterAll(async () => {
      await subject?.close();
    }, 120_000);

    it("start resolves with a container that serves at its address", async () => {
      const handle = await subject.backend.start(spec());
      const answer = await ask(handle, "/");
      expect(answer.status).toBe(200);
      expect(answer.body.path).toBe("/");
      await handle.stop(1000);
      await subject.gone([handle]);
    }, 120_000);

    it("two starts are two containers", async () => {
      const [a, b] = await Promise.all([subject.backend.start(spec()), subject.backend.start(spec())]);
      expect(a.id).not.toBe(b.id);
      const [x, y] = await Promise.all([ask(a, "/"), ask(b, "/")]);
      expect(x.body.container).not.toBe(y.body.container);
      await Promise.all([a.stop(1000), b.stop(1000)]);
      await subject.gone([a, b]);
    }, 120_000);

    it("a container that dies settles exited, and the next start serves", async () => {
      const handle = await subject.backend.start(spec());
      const before = (await ask(handle, "/")).body.container;
      await ask(handle, "/die");
      const exit = await handle.exited;
      expect(exit.code === 0 && exit.signal === null).toBe(false);
      const next = await subject.backend.start(spec());
      const answer = await ask(next, "/");
      expect(answer.status).toBe(200);
      expect(answer.body.container).not.toBe(before);
      await next.stop(1000);
      await subject.gone([handle, next]);
    }, 120_000);

    it("stop lets an in-flight request finish, then the container is gone", async () => {
      const handle = await subject.backend.start(spec());
      const held = ask(handle, "/slow?ms=1500");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopped = handle.stop(10_000);
      const answer = await held;
      expect(answer.status).toBe(200);
      expect(answer.body.path).toBe("/slow");
      await stopped;
      await handle.exited;
      await subject.gone([handle]);
    }, 120_000);
  });
}

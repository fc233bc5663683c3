/**
 * Zero-downtime deploys and rollback on the cluster: under a steady load through the gateway,
 * `wharf deploy` of a new version (its Deployment gets a ready pod, the routes flip, the old one is
 * scaled to 0 and removed) and `wharf app rollback` fail no request. Run as the installed Role.
 */
import { AppsV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { startLoad } from "../helpers/load.ts";
import { cli } from "../helpers/server.ts";
import { adminConfig, useClusterServer, until as untilValue } from "./helpers/platform-account.ts";

const NAMESPACE = `deploy-test-${process.pid}`;
const HOST = "roll-hello.localhost";
const apps = adminConfig().makeApiClient(AppsV1Api);

async function deploymentNames(): Promise<string[]> {
  const list = await apps.listNamespacedDeployment({ namespace: NAMESPACE, labelSelector: "wharf.dev/app=roll" });
  return list.items.map((d) => d.metadata?.name ?? "").sort();
}

/** Waits until `test` holds. */
const until = (what: string, test: () => Promise<boolean>, timeoutMs = 60_000): Promise<true> => untilValue(what, async () => ((await test()) ? true : undefined), timeoutMs);

describe("deploys on the cluster", () => {
  const live = useClusterServer(NAMESPACE);

  it("deploy and rollback under load fail no request, and the old Deployment goes", async () => {
    const first = await cli(live.data, ["deploy", "test/k8s/fixtures/roll-v1.ts"], { timeoutMs: 120_000 });
    expect(first.code, first.output).toBe(0);
    expect(await deploymentNames()).toEqual(["wharf-roll-hello-v1"]);

    const load = startLoad(live.server.port, HOST, { connections: 4, maxMs: 120_000 });
    await until("load answered by v1", async () => load.result.ok > 20);
    const second = await cli(live.data, ["deploy", "test/k8s/fixtures/roll-v2.ts"], { timeoutMs: 120_000 });
    expect(second.code, second.output).toBe(0);
    await until("v1's Deployment removed", async () => (await deploymentNames()).join() === "wharf-roll-hello-v2");
    const rolled = await cli(live.data, ["app", "rollback", "roll"], { timeoutMs: 120_000 });
    expect(rolled.code, rolled.output).toBe(0);
    await until("v2's Deployment removed", async () => (await deploymentNames()).join() === "wharf-roll-hello-v3");
    const okBefore = load.result.ok;
    await until("more answers from the rolled-back version", async () => load.result.ok > okBefore + 20);
    const result = await load.stop();

    expect(result.failed).toEqual([]);
    const versions = new Set([...result.bodies.keys()].map((b) => (JSON.parse(b) as { version: number }).version));
    expect(versions).toEqual(new Set([1, 2]));
    expect(result.ok).toBeGreaterThan(60);
  });
});

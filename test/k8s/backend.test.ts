/**
 * `wharf server --backend kubernetes` against the test cluster (scripts/test-cluster.sh), signed in
 * as the ServiceAccount `wharf k8s install` creates — exactly its Role, not cluster-admin. A deploy
 * becomes Deployments whose pods fetch the bundle from the server; the gateway routes to ready pod
 * IPs with the pod key; an idle function scales to zero through `/scale` and the next request
 * scales it up again, held until a pod is ready. A request straight to a pod without the key never
 * reaches the function; a pod someone deletes finishes the request it holds while new ones go to
 * its replacement; a user's HPA on a Wharf Deployment is refused by name.
 */
import { AppsV1Api, AutoscalingV1Api, CoreV1Api } from "@kubernetes/client-node";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/server.ts";
import { adminConfig, useClusterServer, until } from "./helpers/platform-account.ts";

const NAMESPACE = `backend-test-${process.pid}`;
const HOST = "kube-hello.localhost";
const SLOW = "kube-slow.localhost";

const kc = adminConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const autoscaling = kc.makeApiClient(AutoscalingV1Api);

const deploymentOf = async (fn: string) => {
  const list = await apps.listNamespacedDeployment({ namespace: NAMESPACE, labelSelector: `wharf.dev/app=kube,wharf.dev/function=${fn}` });
  return list.items[0];
};
const replicas = async (): Promise<number | undefined> => (await deploymentOf("hello"))?.spec?.replicas;
const podsOf = async (fn: string) => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `wharf.dev/app=kube,wharf.dev/function=${fn}` })).items;

describe("wharf server --backend kubernetes, with the installed Role", () => {
  const live = useClusterServer(NAMESPACE);

  it("deploys an app as a Deployment and serves it from a pod", async () => {
    const deployed = await cli(live.data, ["deploy", "test/k8s/fixtures/hello.ts"], { timeoutMs: 120_000 });
    expect(deployed.code, deployed.output).toBe(0);
    const answer = await live.server.request(HOST);
    expect(answer.status, answer.text).toBe(200);
    const body = answer.json<{ message: string; pod: string }>();
    expect(body.message).toBe("hello from a pod");
    expect((await podsOf("hello")).map((p) => p.metadata?.name)).toContain(body.pod);
    expect(await replicas()).toBeGreaterThanOrEqual(1);
  });

  it("refuses a request sent straight to a pod without the pod key", async () => {
    const ip = (await podsOf("hello")).find((p) => p.status?.podIP !== undefined)?.status?.podIP;
    expect(ip).toBeDefined();
    let reached = 0;
    for (const headers of [{}, { "x-wharf-pod-key": "guess" }, { "x-wharf-pod-key": "" }]) {
      const direct = await request(`http://${ip}:8484/`, { headers });
      const text = await direct.body.text();
      if (direct.statusCode !== 403 || text.includes("hello from a pod")) reached++;
    }
    expect(reached).toBe(0);
  });

  it("scales an idle function to zero, and the next request back up", async () => {
    await until("replicas 0", async () => ((await replicas()) === 0 ? true : undefined), 60_000);
    await until("no pods", async () => ((await podsOf("hello")).length === 0 ? true : undefined));
    const answer = await live.server.request(HOST);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json<{ message: string }>().message).toBe("hello from a pod");
    expect(await replicas()).toBeGreaterThanOrEqual(1);
  });

  it("serves a request that arrives while the function's last pod retires", async () => {
    const warm = await live.server.request(HOST);
    expect(warm.status, warm.text).toBe(200);
    const from = live.server.lines.length;
    // The idle pod is retiring (its readiness fails, then the count drops): a request now must
    // raise the count past it, not wait for a pod the ReplicaSet will never start.
    await until("the idle stop", async () => (live.server.lines.slice(from).some((l) => /of hello stopping \(idle\)/.test(l)) ? true : undefined), 30_000);
    const answer = await live.server.request(HOST);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json<{ message: string }>().message).toBe("hello from a pod");
  }, 90_000);

  it("lets a deleted pod finish the request it holds, and sends new requests to its replacement", async () => {
    const first = await live.server.request(SLOW, "/?ms=0");
    expect(first.status, first.text).toBe(200);
    const victim = first.json<{ pod: string }>().pod;
    const held = live.server.request(SLOW, "/?ms=4000");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await core.deleteNamespacedPod({ name: victim, namespace: NAMESPACE });
    const answer = await held;
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json<{ pod: string }>().pod).toBe(victim);
    const next = await live.server.request(SLOW, "/?ms=0");
    expect(next.status, next.text).toBe(200);
    expect(next.json<{ pod: string }>().pod).not.toBe(victim);
  });

  it("refuses to fight a user's HorizontalPodAutoscaler on a Wharf Deployment, naming it", async () => {
    const target = (await deploymentOf("hello"))?.metadata?.name ?? "";
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: NAMESPACE,
      body: { metadata: { name: "users-hpa" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, minReplicas: 1, maxReplicas: 3 } },
    });
    // Once its pods are gone (idle), the next start is refused with the HPA's name and the fix.
    const answer = await until("the refusal", async () => {
      const a = await live.server.request(HOST);
      return a.status === 503 ? a : undefined;
    }, 60_000);
    expect(answer.text).toContain("HorizontalPodAutoscaler users-hpa");
    expect(answer.text).toContain("kubectl delete hpa users-hpa");
    expect(live.server.lines.join("\n")).toContain("HorizontalPodAutoscaler users-hpa scales Wharf's Deployment");
  });
});

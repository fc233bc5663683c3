/**
 * `wharf server --backend kubernetes` against the test cluster (scripts/test-cluster.sh): a deploy
 * becomes a Deployment whose pods fetch the bundle from the server, the gateway routes to ready
 * pod IPs with the pod key, an idle function scales to zero through `/scale`, and the next request
 * scales it up again and is held until a pod is ready. A request straight to a pod without the
 * key never reaches the function.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const KUBECONFIG = process.env["WHARF_KUBECONFIG"] ?? `${process.env["WHARF_K8S_STATE"] ?? "/tmp/wharf-k8s"}/admin.kubeconfig`;
/** The node's bridge address: what pods reach the host (and its bundle server) at. */
const NODE_ADDRESS = process.env["WHARF_K8S_NODE_IP"] ?? "10.244.0.1";
const NAMESPACE = `backend-test-${process.pid}`;
const HOST = "kube-hello.localhost";

const kc = new KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const replicas = async (): Promise<number | undefined> => {
  const list = await apps.listNamespacedDeployment({ namespace: NAMESPACE, labelSelector: "wharf.dev/app=kube" });
  return list.items[0]?.spec?.replicas;
};

describe("wharf server --backend kubernetes", () => {
  const data = tempDataDir();
  let server: Server;
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    server = await startServer(data.dir, { args: ["--backend", "kubernetes", "--kubeconfig", KUBECONFIG, "--namespace", NAMESPACE, "--bundle-host", NODE_ADDRESS] });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
    await core.deleteNamespace({ name: NAMESPACE }).catch(() => {});
  });

  it("deploys an app as a Deployment and serves it from a pod", async () => {
    const deployed = await cli(data.dir, ["deploy", "test/k8s/fixtures/hello.ts"], { timeoutMs: 120_000 });
    expect(deployed.code, deployed.output).toBe(0);
    const answer = await server.request(HOST);
    expect(answer.status, answer.text).toBe(200);
    const body = answer.json<{ message: string; pod: string }>();
    expect(body.message).toBe("hello from a pod");
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "wharf.dev/app=kube" });
    expect(pods.items.map((p) => p.metadata?.name)).toContain(body.pod);
    expect(await replicas()).toBeGreaterThanOrEqual(1);
  });

  it("refuses a request sent straight to a pod without the pod key", async () => {
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "wharf.dev/app=kube" });
    const ip = pods.items.find((p) => p.status?.podIP !== undefined)?.status?.podIP;
    expect(ip).toBeDefined();
    const direct = await request(`http://${ip}:8484/`, { headers: { "x-wharf-pod-key": "guess" } });
    expect(direct.statusCode).toBe(403);
    expect(await direct.body.text()).not.toContain("hello from a pod");
  });

  it("scales an idle function to zero, and the next request back up", async () => {
    await until("replicas 0", async () => ((await replicas()) === 0 ? true : undefined), 60_000);
    await until("no pods", async () => {
      const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "wharf.dev/app=kube" });
      return pods.items.length === 0 ? true : undefined;
    });
    const answer = await server.request(HOST);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json<{ message: string }>().message).toBe("hello from a pod");
    expect(await replicas()).toBeGreaterThanOrEqual(1);
  });
});

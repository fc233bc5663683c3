/**
 * The test cluster itself (scripts/test-cluster.sh): a Deployment applied to the real API server is
 * scheduled by the real scheduler onto our node agent, its pods run with routable IPs, the
 * Endpoints controller lists them once their readiness probe passes, `/scale` changes their
 * number, and a deleted pod is replaced. What the Kubernetes backend builds on, checked first.
 * Run with `npm run test:k8s` after `scripts/test-cluster.sh up`.
 */
import { request } from "node:http";
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { setReplicas } from "../../src/backends/kubernetes/scale.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./helpers/platform-account.ts";

const KUBECONFIG = process.env["WHARF_KUBECONFIG"] ?? `${process.env["WHARF_K8S_STATE"] ?? "/tmp/wharf-k8s"}/admin.kubeconfig`;
const NAMESPACE = `cluster-test-${process.pid}`;

const kc = new KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);

// A pod that answers with its own name and IP: a plain Node server, no image needed on our node.
const server = `require("http").createServer((q, s) => s.end(process.env.POD_NAME + " " + process.env.POD_IP)).listen(8080)`;

const deployment: V1Deployment = {
  metadata: { name: "echo", namespace: NAMESPACE },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "echo" } },
    template: {
      metadata: { labels: { app: "echo" } },
      spec: {
        terminationGracePeriodSeconds: 5,
        containers: [{
          name: "echo",
          image: "wharf-runtime:test",
          command: ["node", "-e", server],
          ports: [{ containerPort: 8080, name: "http" }],
          env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }, { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
          readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
        }],
      },
    },
  },
};

async function readyAddresses(): Promise<string[]> {
  const endpoints = await core.readNamespacedEndpoints({ name: "echo", namespace: NAMESPACE });
  return (endpoints.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
}

function get(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path: "/", timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("the test cluster", () => {
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await core.createNamespacedService({ namespace: NAMESPACE, body: { metadata: { name: "echo" }, spec: { clusterIP: "None", selector: { app: "echo" }, ports: [{ port: 8080, name: "http" }] } } });
    await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: deployment });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: NAMESPACE }).catch(() => {});
  });

  it("runs a Deployment's pod with a routable IP, listed in Endpoints once ready", async () => {
    const [ip] = await until("a ready endpoint", async () => {
      const ips = await readyAddresses();
      return ips.length === 1 ? ips : undefined;
    });
    expect(ip).toMatch(/^10\.244\.0\.\d+$/);
    const answer = await get(ip ?? "", 8080);
    expect(answer).toMatch(new RegExp(`^echo-[a-z0-9]+-[a-z0-9]+ ${ip?.replace(/\./g, "\\.")}$`));
  });

  it("follows the scale subresource up and down", async () => {
    expect(await setReplicas(apps, NAMESPACE, "echo", 3)).toBe(1);
    const three = await until("three ready endpoints", async () => {
      const ips = await readyAddresses();
      return ips.length === 3 ? ips : undefined;
    });
    const answers = await Promise.all(three.map((ip) => get(ip, 8080)));
    expect(new Set(answers).size).toBe(3);
    await setReplicas(apps, NAMESPACE, "echo", 0);
    await until("no endpoint and no pod", async () => {
      const ips = await readyAddresses();
      const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=echo" });
      return ips.length === 0 && pods.items.length === 0 ? true : undefined;
    });
  });

  it("replaces a deleted pod, and the deleted one stops answering", async () => {
    await setReplicas(apps, NAMESPACE, "echo", 1);
    const [first] = await until("a ready endpoint", async () => {
      const ips = await readyAddresses();
      return ips.length === 1 ? ips : undefined;
    });
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=echo" });
    const name = pods.items[0]?.metadata?.name ?? "";
    await core.deleteNamespacedPod({ name, namespace: NAMESPACE });
    await until("a replacement pod, ready", async () => {
      const ips = await readyAddresses();
      const list = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=echo" });
      const names = list.items.map((p) => p.metadata?.name);
      return ips.length === 1 && !names.includes(name) ? true : undefined;
    });
    const [second] = await readyAddresses();
    const answer = await get(second ?? "", 8080);
    expect(answer.startsWith(name)).toBe(false);
    if (second !== first) await expect(get(first ?? "", 8080)).rejects.toThrow();
  });
});

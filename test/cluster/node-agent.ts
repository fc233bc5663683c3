/**
 * The test cluster's node: a stand-in for the kubelet (no container runtime can run here). It
 * registers a Node, keeps its Lease and Ready condition fresh, runs the pods the real scheduler
 * binds to it (`PodRunner`, in their own network namespaces with routable pod IPs), reports their
 * status and readiness, and stops them when they are deleted. Started by scripts/test-cluster.sh;
 * what it does not cover is listed in docs/kubernetes.md.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { CoordinationV1Api, CoreV1Api, KubeConfig, makeInformer, type V1Node, type V1Pod, type V1PodStatus } from "@kubernetes/client-node";
import { PodNetwork, type PodNet } from "./pod-network.ts";
import { PodRunner } from "./pod-runner.ts";

const { values: args } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    node: { type: "string", default: "wharf-node-1" },
    bridge: { type: "string" },
    cidr: { type: "string" },
    gateway: { type: "string" },
    "runtime-root": { type: "string" },
    state: { type: "string" },
  },
});
const need = (name: keyof typeof args): string => {
  const value = args[name];
  if (typeof value !== "string") throw new Error(`node-agent: --${name} is required`);
  return value;
};

const nodeName = need("node");
const hostIP = need("gateway");
const kc = new KubeConfig();
kc.loadFromFile(need("kubeconfig"));
const core = kc.makeApiClient(CoreV1Api);
const coordination = kc.makeApiClient(CoordinationV1Api);
const network = new PodNetwork({ bridge: need("bridge"), cidr: need("cidr"), gateway: hostIP });
const logDir = join(need("state"), "pods");
const runtimeRoot = need("runtime-root");

const log = (message: string): void => console.log(`${new Date().toISOString()} ${message}`);

function nodeObject(): V1Node {
  const now = new Date();
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: nodeName, labels: { "kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
    spec: { podCIDR: need("cidr") },
    status: {
      capacity: { cpu: "2", memory: "24Gi", pods: "250" },
      allocatable: { cpu: "2", memory: "24Gi", pods: "250" },
      addresses: [{ type: "InternalIP", address: hostIP }, { type: "Hostname", address: nodeName }],
      conditions: [{ type: "Ready", status: "True", reason: "WharfNodeAgentReady", message: "wharf test node agent is running", lastHeartbeatTime: now, lastTransitionTime: now }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: { architecture: "amd64", bootID: "", containerRuntimeVersion: "wharf://0", kernelVersion: "", kubeProxyVersion: "v1.20.2", kubeletVersion: "v1.20.2", machineID: "", operatingSystem: "linux", osImage: "wharf test node", systemUUID: "" },
    },
  };
}

async function register(): Promise<void> {
  try {
    await core.createNode({ body: nodeObject() });
  } catch {
    // It exists (an earlier agent): take it over.
  }
  await heartbeat();
}

/** The Ready condition and the node Lease, every 10 s (the node controller's grace is 40 s). */
async function heartbeat(): Promise<void> {
  const node = await core.readNode({ name: nodeName });
  const status = nodeObject().status;
  if (status !== undefined) node.status = status;
  await core.replaceNodeStatus({ name: nodeName, body: node });
  const now = new Date();
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: now as unknown as Date };
  try {
    const lease = await coordination.readNamespacedLease({ name: nodeName, namespace: "kube-node-lease" });
    lease.spec = { ...lease.spec, ...spec };
    await coordination.replaceNamespacedLease({ name: nodeName, namespace: "kube-node-lease", body: lease });
  } catch {
    await coordination.createNamespacedLease({ namespace: "kube-node-lease", body: { metadata: { name: nodeName, namespace: "kube-node-lease" }, spec } }).catch(() => {});
  }
}

interface PodEntry {
  runner: PodRunner;
  net: PodNet;
  /** Status writes are serialised, newest wins. */
  pending: V1PodStatus | undefined;
  writing: boolean;
  stopping: boolean;
}
const pods = new Map<string, PodEntry>();

async function writeStatus(pod: V1Pod, entry: PodEntry): Promise<void> {
  if (entry.writing) return;
  entry.writing = true;
  try {
    while (entry.pending !== undefined) {
      const status = entry.pending;
      entry.pending = undefined;
      const name = pod.metadata?.name ?? "";
      const namespace = pod.metadata?.namespace ?? "default";
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const current = await core.readNamespacedPod({ name, namespace });
          if (current.metadata?.uid !== pod.metadata?.uid) return;
          current.status = status;
          await core.replaceNamespacedPodStatus({ name, namespace, body: current });
          break;
        } catch (err) {
          if ((err as { code?: number }).code === 404) return;
        }
      }
    }
  } finally {
    entry.writing = false;
  }
}

/** The values of the pod's `secretKeyRef` env entries, as a kubelet reads them: `name/key` → value. */
async function secretValues(pod: V1Pod): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  const namespace = pod.metadata?.namespace ?? "default";
  for (const c of pod.spec?.containers ?? []) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref === undefined || ref.name === undefined) continue;
      const secret = await core.readNamespacedSecret({ name: ref.name, namespace });
      const data = secret.data?.[ref.key];
      if (data !== undefined) values.set(`${ref.name}/${ref.key}`, Buffer.from(data, "base64").toString());
    }
  }
  return values;
}

function startPod(pod: V1Pod): void {
  void secretValues(pod).then(
    (secrets) => runPod(pod, secrets),
    (err: unknown) => log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: a secret it needs cannot be read: ${err instanceof Error ? err.message : String(err)}`),
  );
}

function runPod(pod: V1Pod, secrets: Map<string, string>): void {
  const uid = pod.metadata?.uid ?? "";
  if (pods.has(uid)) return;
  const net = network.create(uid.replace(/-/g, "").slice(0, 8));
  const entry: PodEntry = { runner: undefined as unknown as PodRunner, net, pending: undefined, writing: false, stopping: false };
  entry.runner = new PodRunner(pod, net, {
    runtimeRoot,
    logDir,
    nodeName,
    hostIP,
    secrets,
    report: (status) => {
      entry.pending = status;
      void writeStatus(pod, entry);
    },
  });
  pods.set(uid, entry);
  log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} starting at ${net.ip}`);
  entry.runner.start();
}

async function stopPod(pod: V1Pod, force: boolean): Promise<void> {
  const uid = pod.metadata?.uid ?? "";
  const entry = pods.get(uid);
  if (entry === undefined || entry.stopping) return;
  entry.stopping = true;
  if (force) entry.runner.kill();
  else await entry.runner.stop(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
  network.remove(entry.net);
  pods.delete(uid);
  log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} stopped`);
  if (!force) {
    // What the kubelet does last: the pod's processes are gone, so its object may go too.
    await core.deleteNamespacedPod({ name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "default", gracePeriodSeconds: 0, body: { preconditions: { uid } } }).catch(() => {});
  }
}

function onPod(pod: V1Pod): void {
  const uid = pod.metadata?.uid ?? "";
  if (pod.spec?.nodeName !== nodeName) return;
  if (pod.metadata?.deletionTimestamp !== undefined) {
    if (pods.has(uid)) void stopPod(pod, false);
    else void core.deleteNamespacedPod({ name: pod.metadata.name ?? "", namespace: pod.metadata.namespace ?? "default", gracePeriodSeconds: 0 }).catch(() => {});
    return;
  }
  if (!pods.has(uid) && pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed") {
    try {
      startPod(pod);
    } catch (err) {
      log(`pod ${pod.metadata?.name} failed to start: ${(err as Error).message}`);
    }
  }
}

async function main(): Promise<void> {
  await register();
  const timer = setInterval(() => void heartbeat().catch((err: Error) => log(`heartbeat failed: ${err.message}`)), 10_000);
  const selector = `spec.nodeName=${nodeName}`;
  const informer = makeInformer(kc, `/api/v1/pods?fieldSelector=${encodeURIComponent(selector)}`, () => core.listPodForAllNamespaces({ fieldSelector: selector }));
  informer.on("add", onPod);
  informer.on("update", onPod);
  informer.on("delete", (pod) => void stopPod(pod, true));
  informer.on("error", (err: unknown) => {
    log(`watch failed (${String(err)}); restarting in 1 s`);
    setTimeout(() => void informer.start(), 1000);
  });
  await informer.start();
  log(`node ${nodeName} ready`);
  const shutdown = (): void => {
    clearInterval(timer);
    void informer.stop();
    for (const entry of pods.values()) {
      entry.runner.kill();
      network.remove(entry.net);
    }
    setTimeout(() => process.exit(0), 200);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

main().catch((err: Error) => {
  console.error(`node-agent: ${err.stack ?? err.message}`);
  process.exit(1);
});

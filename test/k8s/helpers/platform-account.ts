/**
 * What the Kubernetes tests share: the test cluster's admin kubeconfig (scripts/test-cluster.sh),
 * and a namespace where `wharf k8s install` has been applied, with a kubeconfig that holds only
 * its `wharf` ServiceAccount's token, so the platform runs with exactly the installed Role, not as
 * cluster-admin.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { CLI } from "../../helpers/serve.ts";
import { afterAll, beforeAll } from "vitest";
import { startServer, tempDataDir, type Server } from "../../helpers/server.ts";

export const STATE = process.env["WHARF_K8S_STATE"] ?? "/tmp/wharf-k8s";
export const ADMIN_KUBECONFIG = process.env["WHARF_KUBECONFIG"] ?? `${STATE}/admin.kubeconfig`;
export const KUBECTL = `${process.env["WHARF_K8S_CACHE"] ?? `${process.env["HOME"] ?? "/root"}/.cache/wharf-k8s`}/bin/kubectl`;
/** The node's bridge address: what pods reach the host (and its bundle server) at. */
export const NODE_ADDRESS = process.env["WHARF_K8S_NODE_IP"] ?? "10.244.0.1";

export function adminConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(ADMIN_KUBECONFIG);
  return kc;
}

export function kubectl(args: string[], input = ""): { status: number | null; output: string } {
  const run = spawnSync(KUBECTL, ["--kubeconfig", ADMIN_KUBECONFIG, ...args], { input, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

export interface PlatformNamespace {
  namespace: string;
  /** A kubeconfig file with the platform ServiceAccount's token and nothing else. */
  kubeconfig: string;
  remove(): Promise<void>;
}

/**
 * Creates `namespace`, installs Wharf in it with the real command (`wharf k8s install`, gateway at
 * 0 replicas: the test runs the gateway itself, on this machine) and returns its account's kubeconfig.
 */
export async function platformNamespace(namespace: string): Promise<PlatformNamespace> {
  const admin = adminConfig();
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const install = spawnSync(process.execPath, [CLI, "k8s", "install", "--namespace", namespace, "--replicas", "0", "--kubeconfig", ADMIN_KUBECONFIG], { encoding: "utf8" });
  if (install.status !== 0) throw new Error(`wharf k8s install failed: ${install.stdout}${install.stderr}`);
  // Kubernetes 1.20's token controller writes the account's token into a Secret.
  let token: string | undefined;
  for (let i = 0; i < 150 && token === undefined; i++) {
    const secrets = await core.listNamespacedSecret({ namespace });
    const found = secrets.items.find((s) => s.type === "kubernetes.io/service-account-token" && s.metadata?.annotations?.["kubernetes.io/service-account.name"] === "wharf");
    const data = found?.data?.["token"];
    if (data !== undefined) token = Buffer.from(data, "base64").toString("utf8");
    else await new Promise((r) => setTimeout(r, 200));
  }
  if (token === undefined) throw new Error(`no token Secret for the wharf ServiceAccount in ${namespace}`);
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error(`${ADMIN_KUBECONFIG} names no cluster`);
  const account = new KubeConfig();
  account.loadFromOptions({
    clusters: [{ name: "test", server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: "wharf", token }],
    contexts: [{ name: "wharf", cluster: "test", user: "wharf", namespace }],
    currentContext: "wharf",
  });
  const dir = mkdtempSync(join(tmpdir(), "wharf-account-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, account.exportConfig(), { mode: 0o600 });
  return {
    namespace,
    kubeconfig,
    async remove() {
      rmSync(dir, { recursive: true, force: true });
      await core.deleteNamespace({ name: namespace }).catch(() => {});
    },
  };
}

/** Waits until `probe` gives a value other than undefined (false counts as a value: use undefined). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface ClusterServer {
  server: Server;
  data: string;
  stop(): Promise<void>;
}

/** `wharf server --backend kubernetes` on a fresh namespace with Wharf installed, signed in as its ServiceAccount. */
export async function clusterServer(namespace: string): Promise<ClusterServer> {
  const data = tempDataDir();
  const account = await platformNamespace(namespace);
  const server = await startServer(data.dir, { args: ["--backend", "kubernetes", "--kubeconfig", account.kubeconfig, "--namespace", namespace, "--bundle-host", NODE_ADDRESS] });
  return {
    server,
    data: data.dir,
    async stop() {
      await server.stop();
      data.remove();
      await account.remove();
    },
  };
}

/**
 * For a describe block: a cluster server started before its tests and stopped after them. Read
 * `.server` and `.data` inside the tests (they are set once `beforeAll` has run).
 */
export function useClusterServer(namespace: string): { server: Server; data: string } {
  const ref = {} as { server: Server; data: string; cluster?: ClusterServer };
  beforeAll(async () => {
    ref.cluster = await clusterServer(namespace);
    ref.server = ref.cluster.server;
    ref.data = ref.cluster.data;
  });
  afterAll(async () => {
    await ref.cluster?.stop();
  });
  return ref;
}

/**
 * `wharf k8s install`: installs Wharf itself on a cluster (docs/kubernetes.md): the gateway
 * Deployment running `wharf server --backend kubernetes`, its Services, a ServiceAccount and the
 * Role that grants only what the platform uses in its namespace. `--dry-run -o yaml|json` prints
 * the objects instead; without it they are created, or patched where they exist.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { renderInstall } from "../backends/kubernetes/install.ts";
import { toYaml } from "../backends/kubernetes/yaml.ts";
import { countFlag, unknownSub, UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";

export const K8S = {
  name: "k8s",
  brief: "install Wharf on a Kubernetes cluster, or print what it would install",
  usage: ["k8s install [flags]"],
  summary: "Install Wharf on a Kubernetes cluster: the gateway Deployment (wharf server --backend kubernetes), its Services, a ServiceAccount and a Role limited to its namespace. With --dry-run, print the objects instead.",
  flags: {
    namespace: { type: "string", default: "wharf", value: "NS", help: "the namespace Wharf and its functions run in (it must exist)" },
    image: { type: "string", default: "wharf-runtime:latest", value: "IMAGE", help: "the image of the gateway and of every function (Containerfile)" },
    replicas: { type: "string", default: "1", value: "N", help: "gateway replicas (one until the state lives in the cluster: docs/kubernetes.md)" },
    kubeconfig: { type: "string", value: "FILE", help: "the cluster's kubeconfig (default $KUBECONFIG, else ~/.kube/config)" },
    "dry-run": { type: "boolean", default: false, help: "install nothing: print the objects (with -o)" },
    output: { type: "string", short: "o", default: "yaml", value: "FORMAT", help: "--dry-run: yaml or json" },
  },
  examples: ["wharf k8s install --dry-run -o yaml", "wharf k8s install --namespace wharf --image registry.example.com/wharf-runtime:0.1.0"],
} as const satisfies CommandSpec;

export async function k8s(args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "install") throw sub === undefined ? new UsageError("wharf k8s needs a subcommand: install", "k8s") : unknownSub("k8s", sub, ["install"], "install");
  const { values, positionals } = parseFlags(K8S, rest);
  if (positionals.length > 0) throw new UsageError(`wharf k8s install takes no arguments (got ${positionals.join(" ")})`, "k8s");
  if (values.output !== "yaml" && values.output !== "json") throw new UsageError(`-o ${values.output} is not an output format: use yaml or json`, "k8s");
  const replicas = countFlag("replicas", values.replicas);
  const objects = renderInstall({ namespace: values.namespace, image: values.image, replicas });
  if (values["dry-run"]) {
    out.info(values.output === "json" ? JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2) : toYaml(objects).trimEnd());
    return;
  }
  // The client loads in half a second: only the commands that talk to a cluster pay for it.
  const { KubeConfig, KubernetesObjectApi, PatchStrategy } = await import("@kubernetes/client-node");
  const { apiStatus } = await import("../backends/kubernetes/apply.ts");
  const kc = new KubeConfig();
  if (values.kubeconfig === undefined) kc.loadFromDefault();
  else kc.loadFromFile(values.kubeconfig);
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects as unknown as KubernetesObject[]) {
    const what = `${object.kind} ${values.namespace}/${object.metadata?.name ?? "?"}`;
    try {
      await client.create(object);
      out.success(`created ${what}`);
    } catch (err) {
      if (apiStatus(err) !== 409) throw new Error(`could not create ${what}: ${err instanceof Error ? err.message : String(err)}`);
      await client.patch(object, undefined, undefined, "wharf", undefined, PatchStrategy.StrategicMergePatch);
      out.success(`updated ${what}`);
    }
  }
}

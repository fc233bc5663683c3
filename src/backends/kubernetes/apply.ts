/**
 * Sends a function's rendered objects to the cluster: created when new — the only time Wharf
 * writes `spec.replicas`, with the count the autoscaler wants to start with — and otherwise
 * updated with a strategic-merge patch that leaves `replicas` alone. (A full PUT of an object
 * without `replicas` would reset it to 1, undoing the autoscaler.)
 */
import { PatchStrategy, setHeaderOptions, type AppsV1Api, type CoreV1Api, type V1Deployment, type V1Service } from "@kubernetes/client-node";
import type { RenderedFunction } from "./render.ts";

export interface ClusterApis {
  apps: AppsV1Api;
  core: CoreV1Api;
}

/**
 * Rendered objects are typed by the schema package (timestamps as strings); the client's own
 * types say `Date`. Ours carry no timestamps, so the JSON is the same either way.
 */
function asClient<T>(object: object): T {
  return object as unknown as T;
}

const patch = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

/** The HTTP status of a failed API call, when it has one. */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

export async function applyFunction(apis: ClusterApis, rendered: RenderedFunction, initialReplicas: number): Promise<"created" | "patched"> {
  const { deployment, service } = rendered;
  const name = deployment.metadata?.name ?? "";
  const namespace = deployment.metadata?.namespace ?? "default";
  let result: "created" | "patched" = "created";
  try {
    const body = asClient<V1Deployment>({ ...deployment, spec: { ...deployment.spec, replicas: initialReplicas } });
    await apis.apps.createNamespacedDeployment({ namespace, body });
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
    await apis.apps.patchNamespacedDeployment({ name, namespace, body: asClient<V1Deployment>(deployment) }, patch);
    result = "patched";
  }
  try {
    await apis.core.createNamespacedService({ namespace, body: asClient<V1Service>(service) });
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
    await apis.core.patchNamespacedService({ name, namespace, body: asClient<V1Service>(service) }, patch);
  }
  return result;
}

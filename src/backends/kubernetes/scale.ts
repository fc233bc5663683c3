/**
 * Writes a Deployment's replica count through its scale subresource, with the resourceVersion
 * just read, so a concurrent writer (the deployment controller, another gateway) is never
 * overwritten blindly: on 409 Conflict the scale is read again and the write retried.
 */
import type { AppsV1Api } from "@kubernetes/client-node";
import { apiStatus } from "./apply.ts";

const ATTEMPTS = 8;

/** Sets `replicas`; resolves with the count it found before (unchanged writes are skipped). */
export async function setReplicas(apps: AppsV1Api, namespace: string, name: string, replicas: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const scale = await apps.readNamespacedDeploymentScale({ name, namespace });
    const before = scale.spec?.replicas ?? 0;
    if (before === replicas) return before;
    try {
      await apps.replaceNamespacedDeploymentScale({ name, namespace, body: { ...scale, spec: { replicas } } });
      return before;
    } catch (err) {
      if (apiStatus(err) !== 409 || attempt >= ATTEMPTS) throw err;
    }
  }
}

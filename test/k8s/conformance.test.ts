/**
 * The Backend conformance suite (test/conformance/backend-suite.ts) against the Kubernetes backend
 * on the test cluster, signed in as the installed Role: a container is a pod; gone means the
 * function's Deployment is at 0 replicas and none of its pods remains.
 */
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { KubernetesBackend } from "../../src/backends/kubernetes/backend.ts";
import { backendConformance } from "../conformance/backend-suite.ts";
import { adminConfig, NODE_ADDRESS, platformNamespace } from "./helpers/platform-account.ts";

const NAMESPACE = `conformance-test-${process.pid}`;
const kc = adminConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const selector = "wharf.dev/app=conformance";

backendConformance("kubernetes", async () => {
  const account = await platformNamespace(NAMESPACE);
  const backend = new KubernetesBackend({ kubeconfig: account.kubeconfig, namespace: NAMESPACE, image: "wharf-runtime:test", bundleHost: NODE_ADDRESS });
  return {
    backend,
    async gone() {
      for (let i = 0; i < 300; i++) {
        const [deployments, pods] = await Promise.all([
          apps.listNamespacedDeployment({ namespace: NAMESPACE, labelSelector: selector }),
          core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector }),
        ]);
        if (deployments.items.every((d) => d.spec?.replicas === 0) && pods.items.length === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`pods of ${selector} still run in ${NAMESPACE}`);
    },
    async close() {
      await backend.close();
      await account.remove();
    },
  };
});

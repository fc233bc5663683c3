/**
 * The objects that install Wharf itself on a cluster (`wharf k8s install`, docs/kubernetes.md): the
 * gateway Deployment and its Services, a ServiceAccount, and a Role bound to it that grants only
 * what the platform uses, in its own namespace — nothing cluster-wide. Pure data, like render.ts.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { MANAGED_BY } from "./render.ts";

export interface InstallOptions {
  namespace: string;
  image: string;
  /** Gateway replicas; several share the cluster's state and elect one leader to write `/scale`. */
  replicas: number;
}

export const PLATFORM_NAME = "wharf";
export const GATEWAY_PORT = 8000;
export const ADMIN_PORT = 8001;
/** Where pods fetch their bundles from the gateway pod (its own address, no DNS needed). */
export const BUNDLE_PORT = 8002;

export type InstallObject = IServiceAccount | IRole | IRoleBinding | IDeployment | IService;

/**
 * Every permission the platform needs, and why. Kept as data so a test can check each verb the
 * code uses is here and nothing else is.
 */
export const PLATFORM_RULES: IPolicyRule[] = [
  // One Deployment and Service per function version: create, patch, remove; replicas via /scale.
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update"] },
  { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
  // Routing: ready pod IPs, and pods to tell terminating ones apart.
  { apiGroups: [""], resources: ["endpoints", "pods"], verbs: ["get", "list", "watch"] },
  // A user's own HorizontalPodAutoscaler on a Wharf Deployment is detected and refused.
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["get", "list", "watch"] },
  // Leader election among gateway replicas.
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update"] },
  // The platform's state: apps, versions, tokens (hashed), domains, certificates, bundles.
  { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
];

export function renderInstall(options: InstallOptions): InstallObject[] {
  const { namespace } = options;
  const labels = { "app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/name": PLATFORM_NAME };
  const gatewayLabels = { ...labels, "app.kubernetes.io/component": "gateway" };
  const serviceAccount: IServiceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: PLATFORM_NAME, namespace, labels } };
  const role: IRole = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: PLATFORM_NAME, namespace, labels }, rules: PLATFORM_RULES };
  const binding: IRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: PLATFORM_NAME, namespace, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: PLATFORM_NAME },
    subjects: [{ kind: "ServiceAccount", name: PLATFORM_NAME, namespace }],
  };
  const gateway: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `${PLATFORM_NAME}-gateway`, namespace, labels: gatewayLabels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: gatewayLabels },
      template: {
        metadata: { labels: gatewayLabels },
        spec: {
          serviceAccountName: PLATFORM_NAME,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{
            name: "gateway",
            image: options.image,
            command: ["node", "/opt/wharf/bin/wharf.js", "server", "--backend", "kubernetes", "--namespace", namespace, "--host", "0.0.0.0", "--port", String(GATEWAY_PORT), "--admin-port", String(ADMIN_PORT), "--admin-host", "0.0.0.0", "--data", "/tmp/wharf", "--bundle-port", String(BUNDLE_PORT), "--bundle-url", `http://$(POD_IP):${BUNDLE_PORT}/bundles`],
            env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
            ports: [{ name: "http", containerPort: GATEWAY_PORT }, { name: "admin", containerPort: ADMIN_PORT }, { name: "bundles", containerPort: BUNDLE_PORT }],
            readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 2 },
            resources: { requests: { cpu: "100m", memory: "128Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          }],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
  const publicService: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `${PLATFORM_NAME}-gateway`, namespace, labels: gatewayLabels },
    spec: { selector: gatewayLabels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
  };
  const controlService: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `${PLATFORM_NAME}-control`, namespace, labels: gatewayLabels },
    spec: { selector: gatewayLabels, ports: [{ name: "admin", port: ADMIN_PORT, targetPort: "admin" }, { name: "bundles", port: BUNDLE_PORT, targetPort: "bundles" }] },
  };
  return [serviceAccount, role, binding, gateway, publicService, controlService];
}

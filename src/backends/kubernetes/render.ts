/**
 * The Kubernetes objects of one app version, as pure data: per function (or class) a Deployment
 * of the one Wharf runtime image, which fetches the version's content-addressed bundle at start,
 * and a headless Service whose Endpoints tell the gateway the ready pod IPs (docs/kubernetes.md).
 *
 * No `spec.replicas`: Wharf's autoscaler owns the replica count through the scale subresource, and
 * an update that carried `replicas` (or a full PUT without it, which resets it to 1) would undo it.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IService } from "kubernetes-models/v1/Service";
import type { FunctionManifest, Manifest } from "../../runtime/manifest.ts";
import { labelValue, objectName } from "./names.ts";

export interface RenderOptions {
  namespace: string;
  /** The runtime image every function runs: Node 20 and the Wharf runtime agent. */
  image: string;
  /** Pods fetch the bundle from `{bundleBase}/{sha256}`: the control plane's bundle endpoint. */
  bundleBase: string;
  /** The Secret (key `token`) pods authenticate the bundle download with. */
  bundleTokenSecret: string;
}

export interface VersionRef {
  app: string;
  version: number;
  /** SHA-256 (hex) of the bundle: its address, checked by the pod after download. */
  bundleSha256: string;
}

export interface RenderedFunction {
  function: string;
  deployment: IDeployment;
  service: IService;
}

export const MANAGED_BY = "wharf";
export const LABELS = {
  app: "wharf.dev/app",
  function: "wharf.dev/function",
  version: "wharf.dev/version",
} as const;
export const ANNOTATIONS = {
  app: "wharf.dev/app",
  function: "wharf.dev/function",
  version: "wharf.dev/version",
  bundle: "wharf.dev/bundle-sha256",
  kind: "wharf.dev/kind",
} as const;

/** The runtime agent's port in the pod; the next one when a webServer function takes it. */
const AGENT_PORT = 8484;
/** Seconds a terminating pod stays in the endpoints list before SIGTERM, so gateways stop picking it first. */
const PRESTOP_SECONDS = 2;

export function renderVersion(manifest: Manifest, ref: VersionRef, options: RenderOptions): RenderedFunction[] {
  return manifest.functions.map((fn) => renderFunction(fn, ref, options));
}

/** The Deployment and Service names of a function of a version: stable, unique, RFC 1123. */
export function deploymentName(ref: Pick<VersionRef, "app" | "version">, fn: string): string {
  return objectName("wharf", ref.app, fn, `v${ref.version}`);
}

export function renderFunction(fn: FunctionManifest, ref: VersionRef, options: RenderOptions): RenderedFunction {
  const name = deploymentName(ref, fn.name);
  const labels = {
    "app.kubernetes.io/managed-by": MANAGED_BY,
    [LABELS.app]: labelValue(ref.app),
    [LABELS.function]: labelValue(fn.name),
    [LABELS.version]: String(ref.version),
  };
  const selector = { [LABELS.app]: labels[LABELS.app], [LABELS.function]: labels[LABELS.function], [LABELS.version]: labels[LABELS.version] };
  const annotations = {
    [ANNOTATIONS.app]: ref.app,
    [ANNOTATIONS.function]: fn.name,
    [ANNOTATIONS.version]: String(ref.version),
    [ANNOTATIONS.bundle]: ref.bundleSha256,
    [ANNOTATIONS.kind]: fn.kind,
  };
  const taken = new Set(fn.endpoints.map((e) => e.port).filter((p): p is number => p !== null));
  let port = AGENT_PORT;
  while (taken.has(port)) port++;
  const userEnv = Object.entries(fn.options.env)
    .filter(([key]) => !key.startsWith("WHARF_"))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => ({ name: key, value }));
  const memory = fn.options.memory === null ? undefined : `${fn.options.memory}Mi`;
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: options.namespace, labels, annotations },
    spec: {
      selector: { matchLabels: selector },
      revisionHistoryLimit: 1,
      template: {
        metadata: { labels, annotations },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: Math.ceil(fn.options.timeout) + PRESTOP_SECONDS + 5,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          volumes: [{ name: "tmp", emptyDir: {} }],
          containers: [{
            name: "function",
            image: options.image,
            command: ["node", "/opt/wharf/dist/agent.js"],
            ports: [{ name: "http", containerPort: port }],
            env: [
              ...userEnv,
              { name: "WHARF_APP", value: ref.app },
              { name: "WHARF_FUNCTION", value: fn.name },
              { name: "WHARF_VERSION", value: String(ref.version) },
              { name: "WHARF_PORT", value: String(port) },
              { name: "WHARF_BUNDLE_URL", value: `${options.bundleBase}/${ref.bundleSha256}` },
              { name: "WHARF_BUNDLE_SHA256", value: ref.bundleSha256 },
              { name: "WHARF_BUNDLE_TOKEN", valueFrom: { secretKeyRef: { name: options.bundleTokenSecret, key: "token" } } },
            ],
            resources: {
              requests: memory === undefined ? { cpu: "10m" } : { cpu: "10m", memory },
              ...(memory === undefined ? {} : { limits: { memory } }),
            },
            readinessProbe: { httpGet: { path: "/.wharf/ready", port: "http" }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
            lifecycle: { preStop: { exec: { command: ["sleep", String(PRESTOP_SECONDS)] } } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          }],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: options.namespace, labels, annotations },
    spec: { clusterIP: "None", selector, ports: [{ name: "http", port, targetPort: "http" }] },
  };
  return { function: fn.name, deployment, service };
}

/**
 * Rendered manifests against the real API server (v1.20): `kubectl apply --dry-run=server
 * --validate=true` checks them with the server's own OpenAPI schema, unknown fields included (a
 * planted one is refused, so the check can fail); and updates through `applyFunction` keep the
 * replica count the autoscaler set, where a PUT of the same object would reset it to 1.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyFunction } from "../../src/backends/kubernetes/apply.ts";
import { setReplicas } from "../../src/backends/kubernetes/scale.ts";
import { renderVersion, type RenderOptions } from "../../src/backends/kubernetes/render.ts";
import { renderedYaml } from "../../src/backends/kubernetes/yaml.ts";
import type { Manifest, ResolvedOptions } from "../../src/runtime/manifest.ts";

const STATE = process.env["WHARF_K8S_STATE"] ?? "/tmp/wharf-k8s";
const KUBECONFIG = process.env["WHARF_KUBECONFIG"] ?? `${STATE}/admin.kubeconfig`;
const KUBECTL = `${process.env["WHARF_K8S_CACHE"] ?? `${process.env["HOME"] ?? "/root"}/.cache/wharf-k8s`}/bin/kubectl`;
const NAMESPACE = `render-test-${process.pid}`;

const kc = new KubeConfig();
kc.loadFromFile(KUBECONFIG);
const apis = { apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api) };

const defaults: ResolvedOptions = { minContainers: 0, maxContainers: 10, bufferContainers: 0, scaledownWindow: 60, timeout: 150, maxInputs: 1, targetInputs: 1, env: {}, memory: null };
const manifest = (env: Record<string, string>): Manifest => ({
  app: "example",
  functions: [{ name: "hello", kind: "function", options: { ...defaults, env, memory: 128 }, endpoints: [{ name: "hello", method: null, kind: "fastapi", label: null, customDomains: [], requiresProxyAuth: false, httpMethod: "GET", docs: false, port: null, startupTimeout: null }] }],
});
const options: RenderOptions = { namespace: NAMESPACE, image: "wharf-runtime:test", bundleBase: "http://10.244.0.1:8001/bundles", bundleTokenSecret: "wharf-bundle-token" };

function kubectl(args: string[], input: string): { status: number | null; output: string } {
  const run = spawnSync(KUBECTL, ["--kubeconfig", KUBECONFIG, ...args], { input, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("rendered manifests on a real API server", () => {
  beforeAll(() => {
    execFileSync(KUBECTL, ["--kubeconfig", KUBECONFIG, "create", "namespace", NAMESPACE]);
  });
  afterAll(() => {
    spawnSync(KUBECTL, ["--kubeconfig", KUBECONFIG, "delete", "namespace", NAMESPACE, "--wait=false"]);
  });

  it("pass the server's strict validation, and a planted unknown field does not", () => {
    for (const rendered of renderVersion(manifest({ MODE: "a" }), { app: "example", version: 1, bundleSha256: "b".repeat(64) }, options)) {
      const yaml = renderedYaml([rendered]);
      const good = kubectl(["apply", "--dry-run=server", "--validate=true", "-f", "-"], yaml);
      expect(good.output).toContain("created (server dry run)");
      expect(good.status).toBe(0);
      const planted = structuredClone(rendered.deployment) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
      planted.spec.template.spec["replicaCount"] = 3;
      const bad = kubectl(["apply", "--dry-run=server", "--validate=true", "-f", "-"], dump(planted));
      expect(bad.status).not.toBe(0);
      expect(bad.output).toContain('unknown field "replicaCount"');
    }
  });

  it("an update through applyFunction keeps the autoscaler's replicas; a PUT would reset them to 1", async () => {
    const ref = { app: "example", version: 2, bundleSha256: "c".repeat(64) };
    const [first] = renderVersion(manifest({ MODE: "a" }), ref, options);
    if (first === undefined) throw new Error("nothing rendered");
    const name = first.deployment.metadata?.name ?? "";
    expect(await applyFunction(apis, first, 0)).toBe("created");
    await setReplicas(apis.apps, NAMESPACE, name, 4);

    const [changed] = renderVersion(manifest({ MODE: "b" }), ref, options);
    if (changed === undefined) throw new Error("nothing rendered");
    expect(await applyFunction(apis, changed, 0)).toBe("patched");
    const patched = await apis.apps.readNamespacedDeployment({ name, namespace: NAMESPACE });
    expect(patched.spec?.replicas).toBe(4);
    expect(patched.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "MODE")?.value).toBe("b");

    // The trap applyFunction avoids: the same object PUT whole (unconditionally), without replicas.
    const put = structuredClone(changed.deployment) as unknown as V1Deployment;
    await apis.apps.replaceNamespacedDeployment({ name, namespace: NAMESPACE, body: put });
    const reset = await apis.apps.readNamespacedDeployment({ name, namespace: NAMESPACE });
    expect(reset.spec?.replicas).toBe(1);
  });
});

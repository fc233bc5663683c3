/**
 * `wharf deploy FILE --dry-run -o yaml|json` and `wharf k8s install --dry-run` print the
 * Kubernetes objects without any server or cluster: per function a Deployment (no replicas) and a
 * headless Service naming app, function and version; for the install, the gateway and a Role
 * limited to its namespace. test/k8s/dry-run.test.ts applies the same output to a real API server.
 */
import { spawnSync } from "node:child_process";
import { loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/serve.ts";

interface Obj {
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: { resources: string[] }[];
}

function wharf(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("wharf deploy --dry-run", () => {
  it("prints a Deployment without replicas and a headless Service per function, as YAML", () => {
    const run = wharf(["deploy", "examples/fastapi-options.ts", "--dry-run", "-o", "yaml", "--namespace", "apps", "--image", "registry.test/wharf:1"]);
    expect(run.code, run.stderr).toBe(0);
    const objects = loadAll(run.stdout) as Obj[];
    const deployments = objects.filter((o) => o.kind === "Deployment");
    const services = objects.filter((o) => o.kind === "Service");
    expect(deployments.length).toBeGreaterThan(0);
    expect(services.map((s) => s.metadata.name)).toEqual(deployments.map((d) => d.metadata.name));
    for (const d of deployments) {
      expect(d.metadata.namespace).toBe("apps");
      expect(d.spec).not.toHaveProperty("replicas");
      expect(d.metadata.labels?.["wharf.dev/version"]).toBe("1");
      expect(d.metadata.annotations?.["wharf.dev/bundle-sha256"]).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(d)).toContain("registry.test/wharf:1");
    }
    for (const s of services) expect(s.spec?.["clusterIP"]).toBe("None");
  });

  it("prints the same objects as a JSON List with -o json, and names the app --name gives", () => {
    const run = wharf(["deploy", "examples/hello.ts", "--dry-run", "-o", "json", "--name", "staging"]);
    expect(run.code, run.stderr).toBe(0);
    const list = JSON.parse(run.stdout) as { kind: string; items: Obj[] };
    expect(list.kind).toBe("List");
    expect(list.items.map((o) => o.kind)).toEqual(["Deployment", "Service"]);
    expect(list.items[0]?.metadata.annotations?.["wharf.dev/app"]).toBe("staging");
    expect(list.items[0]?.metadata.name).toMatch(/^wharf-staging-/);
  });

  it("refuses an unknown output format with exit 2, naming the formats", () => {
    const run = wharf(["deploy", "examples/hello.ts", "--dry-run", "-o", "toml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("use yaml or json");
  });

  it("names the file and its problem when the app does not load", () => {
    const run = wharf(["deploy", "examples/broken/duplicate-label.ts", "--dry-run"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/label/);
  });
});

describe("wharf k8s install --dry-run", () => {
  it("prints the gateway, its Services, a ServiceAccount and a namespaced Role", () => {
    const run = wharf(["k8s", "install", "--dry-run", "--namespace", "platform"]);
    expect(run.code, run.stderr).toBe(0);
    const objects = loadAll(run.stdout) as Obj[];
    expect(objects.map((o) => o.kind).sort()).toEqual(["Deployment", "Role", "RoleBinding", "Service", "Service", "ServiceAccount"]);
    for (const o of objects) expect(o.metadata.namespace).toBe("platform");
    const gateway = objects.find((o) => o.kind === "Deployment");
    expect(gateway?.spec?.["replicas"]).toBe(1);
    expect(JSON.stringify(gateway)).toContain("--backend");
    const resources = objects.find((o) => o.kind === "Role")?.rules?.flatMap((r) => r.resources) ?? [];
    expect(resources).toContain("deployments/scale");
    expect(resources).not.toContain("nodes");
  });

  it("needs its subcommand", () => {
    const run = wharf(["k8s", "instal"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("did you mean install");
  });
});

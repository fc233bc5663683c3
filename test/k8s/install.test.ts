/**
 * `renderInstall` against the real API server: every object passes strict server-side validation,
 * and the Role bound to the platform's ServiceAccount grants exactly the verbs the platform uses
 * in its namespace — checked with `kubectl auth can-i` as that account — and nothing elsewhere.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_RULES, renderInstall } from "../../src/backends/kubernetes/install.ts";
import { toYaml } from "../../src/backends/kubernetes/yaml.ts";

const STATE = process.env["WHARF_K8S_STATE"] ?? "/tmp/wharf-k8s";
const KUBECONFIG = process.env["WHARF_KUBECONFIG"] ?? `${STATE}/admin.kubeconfig`;
const KUBECTL = `${process.env["WHARF_K8S_CACHE"] ?? `${process.env["HOME"] ?? "/root"}/.cache/wharf-k8s`}/bin/kubectl`;
const NAMESPACE = `install-test-${process.pid}`;
const AS = `system:serviceaccount:${NAMESPACE}:wharf`;

function kubectl(args: string[], input = ""): { status: number | null; output: string } {
  const run = spawnSync(KUBECTL, ["--kubeconfig", KUBECONFIG, ...args], { input, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

/** `kubectl auth can-i`'s answer (its stdout, "yes" or "no"; warnings go to stderr). */
function canI(args: string[], namespace = NAMESPACE): string {
  const run = spawnSync(KUBECTL, ["--kubeconfig", KUBECONFIG, "auth", "can-i", ...args, "--as", AS, "-n", namespace], { encoding: "utf8" });
  return run.stdout.trim();
}

describe("wharf k8s install objects", () => {
  const objects = renderInstall({ namespace: NAMESPACE, image: "wharf-runtime:test", replicas: 2 });
  beforeAll(() => {
    expect(kubectl(["create", "namespace", NAMESPACE]).status).toBe(0);
  });
  afterAll(() => {
    kubectl(["delete", "namespace", NAMESPACE, "--wait=false"]);
  });

  it("pass strict server-side validation", () => {
    const run = kubectl(["apply", "--dry-run=server", "--validate=true", "-f", "-"], toYaml(objects));
    expect(run.output).not.toContain("error");
    expect(run.status).toBe(0);
    expect(run.output.split("\n")).toHaveLength(objects.length);
  });

  it("grant the service account every verb the platform uses, in its namespace only", () => {
    const rbac = objects.filter((o) => o.kind === "ServiceAccount" || o.kind === "Role" || o.kind === "RoleBinding");
    expect(kubectl(["apply", "-f", "-"], toYaml(rbac)).status).toBe(0);
    for (const rule of PLATFORM_RULES) {
      for (const group of rule.apiGroups ?? [""]) {
        for (const resource of rule.resources ?? []) {
          const [base, sub] = resource.split("/");
          const kind = `${base}${group === "" ? "" : `.${group}`}`;
          for (const verb of rule.verbs) {
            const args = sub === undefined ? [verb, kind] : [verb, kind, `--subresource=${sub}`];
            expect(canI(args), `${args.join(" ")}`).toBe("yes");
            expect(canI(args, "kube-system"), `${args.join(" ")} in kube-system`).toBe("no");
          }
        }
      }
    }
  });

  it("refuse what the platform does not need", () => {
    expect(canI(["list", "nodes"])).toBe("no");
    expect(canI(["create", "clusterroles.rbac.authorization.k8s.io"])).toBe("no");
    expect(canI(["create", "roles.rbac.authorization.k8s.io"])).toBe("no");
    expect(canI(["create", "pods"])).toBe("no");
    expect(canI(["create", "pods", "--subresource=exec"])).toBe("no");
    expect(canI(["get", "secrets"], "default")).toBe("no");
    expect(canI(["update", "deployments.apps"])).toBe("no");
  });
});

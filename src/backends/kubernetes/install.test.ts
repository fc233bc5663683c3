import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { renderInstall, PLATFORM_RULES } from "./install.ts";
import { dnsLabelProblem } from "./names.ts";
import { toYaml } from "./yaml.ts";

const objects = renderInstall({ namespace: "wharf-system", image: "wharf-runtime:0.1.0", replicas: 2 });

describe("renderInstall", () => {
  it("every object passes its schema, has an RFC 1123 name and lives in the namespace", () => {
    const models = { ServiceAccount, Role, RoleBinding, Deployment, Service } as const;
    for (const object of objects) {
      const Model = models[object.kind];
      expect(() => new (Model as unknown as new (o: unknown) => { validate(): void })(object).validate()).not.toThrow();
      expect(dnsLabelProblem(object.metadata?.name ?? "")).toBeUndefined();
      expect(object.metadata?.namespace).toBe("wharf-system");
    }
  });

  it("grants nothing cluster-wide and no wildcard", () => {
    expect(objects.map((o) => o.kind)).not.toContain("ClusterRole");
    expect(objects.map((o) => o.kind)).not.toContain("ClusterRoleBinding");
    for (const rule of PLATFORM_RULES) {
      for (const list of [rule.apiGroups ?? [], rule.resources ?? [], rule.verbs]) expect(list).not.toContain("*");
      expect(rule.resources).not.toContain("nodes");
    }
  });

  it("runs the gateway as the service account the Role is bound to", () => {
    const gateway = objects.find((o): o is Deployment => o.kind === "Deployment");
    const binding = objects.find((o): o is RoleBinding => o.kind === "RoleBinding");
    expect(gateway?.spec?.template.spec?.serviceAccountName).toBe("wharf");
    expect(binding?.subjects).toEqual([{ kind: "ServiceAccount", name: "wharf", namespace: "wharf-system" }]);
    expect(gateway?.spec?.replicas).toBe(2);
  });

  it("matches the golden file (UPDATE_GOLDEN=1 rewrites it)", () => {
    const file = join(import.meta.dirname, "golden", "install.yaml");
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, toYaml(objects));
    expect(toYaml(objects)).toBe(readFileSync(file, "utf8"));
  });
});

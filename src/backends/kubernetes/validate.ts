/**
 * Checks rendered objects before anything is sent to a cluster: the official schemas (the
 * `kubernetes-models` validators), RFC 1123 names, label values, and Wharf's own rule that no
 * Deployment carries `spec.replicas`. Returns every problem found, empty when the objects are good.
 */
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { dnsLabelProblem, isLabelValue } from "./names.ts";
import type { RenderedFunction } from "./render.ts";

export function renderedProblems(objects: readonly RenderedFunction[]): string[] {
  const problems: string[] = [];
  for (const { deployment, service } of objects) {
    for (const [what, check] of [
      [`Deployment ${deployment.metadata?.name}`, () => new Deployment(deployment).validate()],
      [`Service ${service.metadata?.name}`, () => new Service(service).validate()],
    ] as const) {
      try {
        check();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    }
    for (const meta of [deployment.metadata, service.metadata, deployment.spec?.template.metadata]) {
      const name = meta?.name;
      if (name !== undefined) {
        const problem = dnsLabelProblem(name);
        if (problem !== undefined) problems.push(`name ${problem}`);
      }
      for (const [key, value] of Object.entries(meta?.labels ?? {})) {
        if (!isLabelValue(value)) problems.push(`label ${key}: "${value}" is not a valid label value`);
      }
    }
    if (deployment.spec !== undefined && "replicas" in deployment.spec) {
      problems.push(`Deployment ${deployment.metadata?.name}: spec.replicas is set; the autoscaler owns it (through /scale)`);
    }
  }
  return problems;
}

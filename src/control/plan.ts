/**
 * From a manifest to the endpoints a gateway serves: labels resolved (defaults, `-dev`,
 * validation), custom domains checked, and duplicates refused with both claimants named.
 */
import { WharfError } from "../sdk/errors.ts";
import { domainProblem, RESERVED_LABEL, resolveLabel } from "../gateway/labels.ts";
import { buildRouteTable } from "../gateway/route-table.ts";
import type { EndpointManifest, FunctionManifest, Manifest } from "../runtime/manifest.ts";

export interface PlannedEndpoint {
  name: string;
  label: string;
  customDomains: string[];
  fn: FunctionManifest;
  endpoint: EndpointManifest;
}

export function planEndpoints(manifest: Manifest, opts: { dev: boolean; baseDomain: string }): PlannedEndpoint[] {
  const planned: PlannedEndpoint[] = [];
  const problems: string[] = [];
  for (const fn of manifest.functions) {
    for (const endpoint of fn.endpoints) {
      const result = resolveLabel({
        app: manifest.app,
        fn: fn.name,
        method: endpoint.method ?? undefined,
        explicit: endpoint.label ?? undefined,
        dev: opts.dev,
      });
      if ("label" in result && result.label === RESERVED_LABEL) {
        problems.push(`label "${RESERVED_LABEL}" of ${endpoint.name} is reserved for the platform's own pages: pick another label`);
        continue;
      }
      if ("problem" in result) {
        const what = endpoint.label === null ? `the default label of ${endpoint.name}` : `label ${JSON.stringify(endpoint.label)} of ${endpoint.name}`;
        const fix = endpoint.label === null ? "give it a label: option, or rename it" : "use 1..63 of [a-z0-9-], not starting or ending with '-'";
        problems.push(`${what} is invalid: ${result.problem}; ${fix}`);
        continue;
      }
      for (const domain of endpoint.customDomains) {
        const problem = domainProblem(domain);
        if (problem !== undefined) problems.push(`custom domain ${JSON.stringify(domain)} of ${endpoint.name} is invalid: ${problem}`);
        else {
          const platform = platformNameProblem(domain, opts.baseDomain);
          if (platform !== undefined) problems.push(`custom domain ${JSON.stringify(domain)} of ${endpoint.name} ${platform}`);
        }
      }
      planned.push({ name: endpoint.name, label: result.label, customDomains: endpoint.customDomains, fn, endpoint });
    }
  }
  if (problems.length === 0) {
    const built = buildRouteTable(opts.baseDomain, planned);
    if ("conflicts" in built) problems.push(...built.conflicts.map((c) => `${c}: give one of them another label or domain`));
  }
  if (problems.length > 0) throw new WharfError("ADDRESS_INVALID", problems.join("; "));
  return planned;
}

/**
 * Why a custom domain would take a platform address, or undefined: the reserved host
 * (`wharf.{base}`, the platform's own pages) and every name under the base domain belong to the
 * platform, which hands them out as labels.
 */
export function platformNameProblem(domain: string, baseDomain: string): string | undefined {
  const name = domain.startsWith("*.") ? domain.slice(2) : domain;
  const reserved = `${RESERVED_LABEL}.${baseDomain}`;
  if (domain === reserved) return `is the platform's reserved host (its own pages, ${reserved}): pick a domain outside ${baseDomain}`;
  if (name === baseDomain || name.endsWith(`.${baseDomain}`)) {
    return `is under the platform's base domain ${baseDomain}, whose names are labels (${reserved} is the platform's): use a label instead, or a domain outside ${baseDomain}`;
  }
  return undefined;
}

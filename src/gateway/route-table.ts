/**
 * The route table: Host → endpoint. A snapshot built once per version and swapped atomically;
 * lookups are O(1) map reads (label, then exact domain, then one-level wildcard).
 */
export interface Routable {
  /** For messages: the endpoint's name (`hello`, `MyAPI.health`). */
  name: string;
  label: string;
  customDomains: readonly string[];
}

export interface RouteTable<T extends Routable> {
  readonly baseDomain: string;
  readonly byLabel: ReadonlyMap<string, T>;
  readonly byDomain: ReadonlyMap<string, T>;
  /** Keyed by the parent domain of `*.parent`. */
  readonly byWildcard: ReadonlyMap<string, T>;
  readonly endpoints: readonly T[];
}

export type BuildResult<T extends Routable> = { table: RouteTable<T> } | { conflicts: string[] };

/** Builds a table, or lists every label/domain claimed twice, naming both claimants. */
export function buildRouteTable<T extends Routable>(baseDomain: string, endpoints: readonly T[]): BuildResult<T> {
  const byLabel = new Map<string, T>();
  const byDomain = new Map<string, T>();
  const byWildcard = new Map<string, T>();
  const conflicts: string[] = [];
  const claim = (map: Map<string, T>, key: string, what: string, endpoint: T): void => {
    const holder = map.get(key);
    if (holder === undefined) map.set(key, endpoint);
    else if (holder !== endpoint) conflicts.push(`${what} ${JSON.stringify(key)} is claimed by both ${holder.name} and ${endpoint.name}`);
  };
  for (const endpoint of endpoints) {
    claim(byLabel, endpoint.label, "label", endpoint);
    for (const domain of endpoint.customDomains) {
      if (domain.startsWith("*.")) claim(byWildcard, domain.slice(2), "custom domain", endpoint);
      else claim(byDomain, domain, "custom domain", endpoint);
    }
  }
  if (conflicts.length > 0) return { conflicts };
  return { table: { baseDomain, byLabel, byDomain, byWildcard, endpoints: [...endpoints] } };
}

export { normalizeHost } from "../shared/host.ts";

/** The endpoint a normalized host names: `{label}.{baseDomain}`, an exact domain, then `*.` one level. */
export function resolveHost<T extends Routable>(table: RouteTable<T>, host: string): T | undefined {
  const suffix = `.${table.baseDomain}`;
  if (host.endsWith(suffix)) {
    const label = host.slice(0, -suffix.length);
    const endpoint = table.byLabel.get(label);
    if (endpoint !== undefined) return endpoint;
  }
  const exact = table.byDomain.get(host);
  if (exact !== undefined) return exact;
  // `*.parent` covers one non-empty label: not `.parent`.
  const dot = host.indexOf(".");
  return dot <= 0 ? undefined : table.byWildcard.get(host.slice(dot + 1));
}

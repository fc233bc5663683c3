/**
 * Labels: the DNS-safe names endpoints are reached by (`{label}.{domain}`), docs/reference.md §2.
 */
import { createHash } from "node:crypto";

export const MAX_LABEL = 63;
/** The label reserved for the platform's own pages (`http://wharf.{domain}/status`). */
export const RESERVED_LABEL = "wharf";
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Why `label` is not a valid label, or undefined when it is. */
export function labelProblem(label: string): string | undefined {
  if (label.length === 0) return "it is empty";
  if (label.length > MAX_LABEL) return `it is ${label.length} characters long (at most ${MAX_LABEL})`;
  if (!/^[a-z0-9-]+$/.test(label)) return "it may only contain lowercase letters, digits and '-'";
  if (!LABEL.test(label)) return "it may not start or end with '-'";
  return undefined;
}

/** Turns a name into label characters: lowercased, `_` → `-`. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/_/g, "-");
}

/**
 * Shortens a label over 63 characters to its first 56, `-`, and the first 6 hex digits of the
 * SHA-256 of the whole label, so long defaults stay unique and stable.
 */
export function truncateLabel(label: string): string {
  if (label.length <= MAX_LABEL) return label;
  const hash = createHash("sha256").update(label).digest("hex").slice(0, 6);
  return `${label.slice(0, 56)}-${hash}`;
}

export interface LabelParts {
  app: string;
  /** The function's name, or the class's name for a method. */
  fn: string;
  /** The method's name, for class endpoints. */
  method?: string | undefined;
  /** The label the user gave, if any. */
  explicit?: string | undefined;
  /** `wharf serve` appends `-dev`. */
  dev: boolean;
}

/**
 * The label an endpoint is served at: the explicit one, or `{app}-{function}` /
 * `{app}-{class}-{method}`; `-dev` appended under `serve`; long defaults truncated with a hash.
 * Returns a problem string for an invalid explicit label.
 */
export function resolveLabel(parts: LabelParts): { label: string } | { problem: string } {
  const suffix = parts.dev ? "-dev" : "";
  if (parts.explicit !== undefined) {
    const problem = labelProblem(parts.explicit);
    if (problem !== undefined) return { problem };
    return { label: truncateLabel(parts.explicit + suffix) };
  }
  const base = [parts.app, parts.fn, parts.method].filter((p) => p !== undefined).map(slug).join("-");
  const label = truncateLabel(base + suffix);
  const problem = labelProblem(label);
  return problem === undefined ? { label } : { problem: `${JSON.stringify(label)}: ${problem}` };
}

/** Why `domain` is not a valid custom domain (exact or `*.` one level), or undefined. */
export function domainProblem(domain: string): string | undefined {
  if (domain !== domain.toLowerCase()) return "it must be lowercase";
  const name = domain.startsWith("*.") ? domain.slice(2) : domain;
  if (name.length === 0 || name.length > 253) return "it must be 1..253 characters long";
  const parts = name.split(".");
  if (parts.length < 2) return "it needs at least two labels, like api.example.com";
  for (const part of parts) {
    if (labelProblem(part) !== undefined) return `${JSON.stringify(part)} is not a valid DNS label`;
  }
  return undefined;
}

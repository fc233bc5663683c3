/**
 * Kubernetes object names and label values for Wharf's objects. Object names here are RFC 1123
 * DNS labels (Services require it, so Deployments follow it too): 1..63 of `[a-z0-9-]`, starting
 * and ending with an alphanumeric. Label values allow 63 of `[A-Za-z0-9._-]`.
 */
import { createHash } from "node:crypto";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `name` is not an RFC 1123 DNS label, or undefined when it is one. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 63) return `"${name}" is ${name.length} characters long (1 to 63 allowed)`;
  if (!DNS_LABEL.test(name)) return `"${name}" is not an RFC 1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`;
  return undefined;
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/**
 * A DNS label made of `parts`: lowercased, every run of other characters turned into one `-`;
 * over 63 characters, the first 54 plus `-` and 8 hex digits of the SHA-256 of the whole, so it
 * stays unique and stable. Function names may hold `_`, `$` or capitals; this never fails.
 */
export function objectName(...parts: string[]): string {
  const joined = parts.map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")).filter((p) => p.length > 0).join("-");
  const name = joined.length === 0 ? `x-${digest(parts.join("/"))}` : joined;
  if (name.length <= 63) return name;
  return `${name.slice(0, 54).replace(/-+$/, "")}-${digest(parts.join("/"))}`;
}

/** A label value for `text`: itself when allowed, else a DNS-label form of it (the exact text goes in an annotation). */
export function labelValue(text: string): string {
  return isLabelValue(text) ? text : objectName(text);
}

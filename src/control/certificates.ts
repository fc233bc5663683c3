/**
 * Certificates of custom domains: domain-name rules, which names a certificate covers (exact or a
 * one-level `*.parent` SAN), and the checks a PEM certificate + key pass before the server stores
 * them (`wharf domain add NAME --cert FILE --key FILE`). Pure: node:crypto parses, nothing is read
 * or written here.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";

/** How far a certificate's start may lie in our future and still be accepted. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** What the platform shows and decides with about one certificate (its leaf). */
export interface CertificateInfo {
  /** The subject's CN, or "" when it has none. */
  subject: string;
  /** The issuer's CN (else its whole DN): "Pebble Intermediate CA 1f2e…", "R11", or the subject for a self-signed one. */
  issuer: string;
  /** The DNS names it is for: its DNS SANs, or its CN when it has no SAN. */
  names: string[];
  notBefore: number;
  notAfter: number;
  /** SHA-256 fingerprint of the leaf, `AB:CD:…`. */
  fingerprint: string;
}

export type PairCheck = { info: CertificateInfo; certPem: string; keyPem: string } | { problem: string };

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)+${LABEL}$`);
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Lowercased, without a trailing dot: the form domains are stored and matched in. */
export function normalizeDomain(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * Why `name` (normalized) cannot be a custom domain, or undefined when it can: a DNS name of at
 * least two labels, or `*.` + one (a one-level wildcard, as in `customDomains`).
 */
export function domainNameProblem(name: string): string | undefined {
  if (name.length === 0) return "the domain name is empty";
  if (name.length > 253) return `${name.slice(0, 40)}… is longer than 253 characters`;
  if (!DOMAIN.test(name)) return `${JSON.stringify(name)} is not a domain name: use a name like api.example.com, or *.example.com for one level of subdomains`;
  return undefined;
}

/**
 * Whether a certificate name (a SAN) covers `name`: equal, or `*.parent` for a `name` one label
 * below parent. A wildcard `name` is covered only by the same wildcard.
 */
export function covers(certName: string, name: string): boolean {
  const pattern = normalizeDomain(certName);
  if (pattern === name) return true;
  if (!pattern.startsWith("*.") || name.startsWith("*.")) return false;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

/** The certificates in a PEM text, in order (a server certificate, then its intermediates). */
export function splitPem(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

/** The DNS names of a certificate: its DNS SANs, else its subject's CN. */
export function certificateNames(cert: X509Certificate): string[] {
  const sans = (cert.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => normalizeDomain(entry.slice(4).replace(/^"|"$/g, "")));
  if (sans.length > 0) return sans;
  const cn = commonName(cert.subject);
  return cn === "" ? [] : [normalizeDomain(cn)];
}

export function describeCertificate(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem);
  const subject = commonName(cert.subject);
  const issuer = commonName(cert.issuer);
  return {
    subject,
    issuer: issuer === "" ? cert.issuer.replace(/\n/g, ", ") : issuer,
    names: certificateNames(cert),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    fingerprint: cert.fingerprint256,
  };
}

/**
 * Checks that `certPem` (a server certificate, optionally followed by its intermediates) and
 * `keyPem` belong together, cover `name` and are valid at `now`. Returns the normalized pair (the
 * chain's certificates, the key as unencrypted PKCS#8) or the one-line reason it is refused.
 */
export function checkPair(name: string, certPem: string, keyPem: string, now: number): PairCheck {
  const pems = splitPem(certPem);
  if (pems.length === 0) return { problem: "the certificate file holds no PEM certificate (-----BEGIN CERTIFICATE-----)" };
  let chain: X509Certificate[];
  try {
    chain = pems.map((pem) => new X509Certificate(pem));
  } catch (err) {
    return { problem: `the certificate file holds a certificate that cannot be parsed (${oneLine(err)})` };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(keyPem);
    return { problem: encrypted ? "the key file holds an encrypted key: decrypt it first (openssl pkey -in KEY -out PLAIN)" : `the key file holds no PEM private key (${oneLine(err)})` };
  }
  const [leaf, ...intermediates] = chain as [X509Certificate, ...X509Certificate[]];
  if (!leaf.checkPrivateKey(key)) return { problem: `the key does not match the certificate for ${certificateNames(leaf).join(", ") || leaf.subject}: pass the key it was issued for` };
  for (let i = 0; i < intermediates.length; i++) {
    const issuer = intermediates[i] as X509Certificate;
    if (!(chain[i] as X509Certificate).checkIssued(issuer)) return { problem: "the certificate file's chain is out of order: put the server certificate first, then each issuer after the certificate it issued" };
  }
  const names = certificateNames(leaf);
  if (!names.some((n) => covers(n, name))) return { problem: `the certificate does not cover ${name}: it is for ${names.length === 0 ? "no DNS name" : names.join(", ")}` };
  const info = describeCertificate(pems[0] as string);
  if (now >= info.notAfter) return { problem: `the certificate for ${name} expired on ${new Date(info.notAfter).toISOString()}` };
  // A CA's clock (or ours) may run a little ahead: a few minutes early is not "not yet valid".
  if (now + CLOCK_SKEW_MS < info.notBefore) return { problem: `the certificate for ${name} is not valid before ${new Date(info.notBefore).toISOString()}` };
  return { info, certPem: `${pems.join("\n")}\n`, keyPem: key.export({ type: "pkcs8", format: "pem" }).toString() };
}

/** The CN of a DN as node:crypto prints it (`C=US\nCN=name`), or "". */
function commonName(dn: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? "";
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim();
}

/**
 * Custom domains of `wharf server`: each one has a certificate, given as a PEM pair
 * (`wharf domain add NAME --cert --key`) or obtained from an ACME CA (`--acme`), kept in the store
 * and served by the HTTPS listener through SNI. ACME certificates are renewed by a timer (at start,
 * then every day) once they expire within `renewBeforeMs`; a renewal swaps the served context in
 * place and a failed one keeps the old certificate serving, with the reason in `wharf domain list`.
 */
import { WharfError } from "../sdk/errors.ts";
import type { AcmeIssuer, Issued } from "./acme.ts";
import { checkPair, describeCertificate, domainNameProblem, normalizeDomain } from "./certificates.ts";
import type { CertificateRow, Store } from "./store.ts";

export type DomainStatus = "active" | "expiring" | "expired" | "pending" | "failed";

export interface DomainInfo {
  name: string;
  source: "cert" | "acme";
  /** When the served certificate expires (ms since the epoch); null while the first one is pending. */
  expires: number | null;
  status: DomainStatus;
  /** The issuer's CN of the served certificate. */
  issuer: string | null;
  /** The names the served certificate covers. */
  names: string[];
  /** Why the last ACME attempt failed. */
  error: string | null;
}

/** Where certificates are served: the HTTPS listener's SNI table. */
export interface CertificateSink {
  set(name: string, certPem: string, keyPem: string): void;
  delete(name: string): void;
}

export interface DomainsOptions {
  store: Store;
  acme: Pick<AcmeIssuer, "issue">;
  sink: CertificateSink;
  /** ACME certificates expiring within this are renewed (default 30 days). */
  renewBeforeMs: number;
  /** How often certificates are checked (default one day). */
  checkIntervalMs: number;
  onEvent(message: string): void;
  now?: () => number;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a renewal check does with a domain: `renew` an ACME certificate expiring within
 * `renewBeforeMs` (or missing), `warn` about a given one (only its owner can replace it), else `skip`.
 */
export function renewalAction(domain: { source: "cert" | "acme"; notAfter: number | undefined; ordering: boolean }, now: number, renewBeforeMs: number): "renew" | "warn" | "skip" {
  if (domain.notAfter !== undefined && domain.notAfter - now > renewBeforeMs) return "skip";
  if (domain.source === "cert") return "warn";
  return domain.ordering ? "skip" : "renew";
}

/** A domain's status: an order in flight, then expiry, then the last ACME failure, then the renewal window. */
export function domainStatus(domain: { notAfter: number | undefined; ordering: boolean; lastError: string | null }, now: number, renewBeforeMs: number): DomainStatus {
  if (domain.ordering) return "pending";
  if (domain.notAfter === undefined || domain.notAfter <= now) return "expired";
  if (domain.lastError !== null) return "failed";
  return domain.notAfter - now <= renewBeforeMs ? "expiring" : "active";
}

export class Domains {
  /** Names with an ACME order in flight (a first certificate or a renewal). */
  private readonly ordering = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: DomainsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Serves every stored certificate, then checks for renewals now and every `checkIntervalMs`. */
  start(): number {
    let served = 0;
    for (const domain of this.options.store.domains()) {
      if (domain.certificate === undefined) continue;
      try {
        this.options.sink.set(domain.name, domain.certificate.certPem, domain.certificate.keyPem);
        served++;
      } catch (err) {
        this.options.onEvent(`domain ${domain.name}: its stored certificate cannot be served (${(err as Error).message}); add it again`);
      }
    }
    void this.checkRenewals();
    this.timer = setInterval(() => void this.checkRenewals(), this.options.checkIntervalMs);
    this.timer.unref();
    return served;
  }

  /** Ends the timer; a renewal under way is given a moment, then abandoned (it records nothing after this). */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.checking, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  /** Stores and serves a PEM pair for `name` (replacing what it had), after checking it. */
  addCertificate(rawName: string, certPem: string, keyPem: string): DomainInfo {
    const name = validName(rawName);
    const checked = checkPair(name, certPem, keyPem, this.now());
    if ("problem" in checked) throw new WharfError("CERTIFICATE_INVALID", `${checked.problem}; nothing was changed`);
    const certificate = this.row(checked.certPem, checked.keyPem);
    try {
      this.options.sink.set(name, checked.certPem, checked.keyPem);
    } catch (err) {
      throw new WharfError("CERTIFICATE_INVALID", `Node's TLS refuses this certificate and key (${(err as Error).message}); nothing was changed`);
    }
    this.options.store.putDomain({ name, source: "cert", acmeDirectory: null, acmeEmail: null, created: this.now() }, certificate);
    this.options.onEvent(`domain ${name}: certificate added (expires ${new Date(certificate.notAfter).toISOString()})`);
    return this.info(name);
  }

  /** Obtains a certificate for `name` from an ACME directory (HTTP-01), then stores and serves it. */
  async addAcme(rawName: string, directory: string, email: string): Promise<DomainInfo> {
    const name = validName(rawName);
    if (name.startsWith("*.")) throw new WharfError("ACME_WILDCARD", `${name} is a wildcard: ACME issues wildcards only by DNS-01, which Wharf does not do; add a wildcard certificate with --cert FILE --key FILE`);
    if (!directory.startsWith("https://")) throw new WharfError("ACME_DIRECTORY_INVALID", `the ACME directory ${directory} is not an https:// URL`);
    if (this.ordering.has(name)) throw new WharfError("ACME_BUSY", `a certificate for ${name} is being ordered already: wait for it (wharf domain list)`);
    this.ordering.add(name);
    try {
      this.options.onEvent(`domain ${name}: ordering a certificate from ${directory}`);
      const certificate = this.issuedRow(name, await this.options.acme.issue({ name, directory, email }));
      this.options.sink.set(name, certificate.certPem, certificate.keyPem);
      this.options.store.putDomain({ name, source: "acme", acmeDirectory: directory, acmeEmail: email, created: this.now() }, certificate);
      this.options.onEvent(`domain ${name}: certificate issued (expires ${new Date(certificate.notAfter).toISOString()})`);
    } catch (err) {
      this.options.onEvent(`domain ${name}: no certificate: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      this.ordering.delete(name);
    }
    return this.info(name);
  }

  /** Stops serving `name` over HTTPS and forgets it; false if there is no such domain. */
  remove(rawName: string): boolean {
    const name = normalizeDomain(rawName);
    const found = this.options.store.removeDomain(name);
    if (found) {
      this.options.sink.delete(name);
      this.options.onEvent(`domain ${name}: removed`);
    }
    // A stopped app's hold on the name ends here too (a running app's lasts while it serves it).
    const released = this.options.store.releaseDomainClaim(name);
    if (released) this.options.onEvent(`domain ${name}: released for other apps`);
    return found || released;
  }

  list(): DomainInfo[] {
    const stored = this.options.store.domains().map((d) => this.describe(d));
    const firstOrders = [...this.ordering].filter((name) => !stored.some((d) => d.name === name));
    const pending = firstOrders.map((name): DomainInfo => ({ name, source: "acme", expires: null, status: "pending", issuer: null, names: [], error: null }));
    return [...stored, ...pending].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Renews every ACME certificate expiring within `renewBeforeMs`, one at a time. Never throws. */
  checkRenewals(): Promise<void> {
    this.checking ??= this.renewDue()
      .catch((err: unknown) => this.options.onEvent(`certificate check failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async renewDue(): Promise<void> {
    for (const domain of this.options.store.domains()) {
      if (this.stopped) return;
      const notAfter = domain.certificate?.notAfter ?? 0;
      const action = renewalAction({ source: domain.source, notAfter: domain.certificate?.notAfter, ordering: this.ordering.has(domain.name) }, this.now(), this.options.renewBeforeMs);
      if (action === "warn") {
        this.options.onEvent(`domain ${domain.name}: its certificate expires ${new Date(notAfter).toISOString()}; replace it with wharf domain add ${domain.name} --cert FILE --key FILE`);
      }
      if (action !== "renew" || domain.acmeDirectory === null) continue;
      this.ordering.add(domain.name);
      try {
        this.options.onEvent(`domain ${domain.name}: renewing its certificate (expires ${new Date(notAfter).toISOString()})`);
        const certificate = this.issuedRow(domain.name, await this.options.acme.issue({ name: domain.name, directory: domain.acmeDirectory, email: domain.acmeEmail ?? "" }));
        // Removed while the order ran: nothing to serve.
        if (this.stopped || !this.options.store.replaceCertificate(domain.name, certificate)) continue;
        this.options.sink.set(domain.name, certificate.certPem, certificate.keyPem);
        this.options.onEvent(`domain ${domain.name}: certificate renewed (expires ${new Date(certificate.notAfter).toISOString()})`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (this.stopped) return;
        this.options.store.setDomainError(domain.name, message);
        this.options.onEvent(`domain ${domain.name}: renewal failed, the current certificate keeps serving: ${message}`);
      } finally {
        this.ordering.delete(domain.name);
      }
    }
  }

  private info(name: string): DomainInfo {
    const found = this.list().find((d) => d.name === name);
    if (found === undefined) throw new WharfError("DOMAIN_NOT_FOUND", `no domain ${name} on this server: see wharf domain list`);
    return found;
  }

  private describe(domain: ReturnType<Store["domains"]>[number]): DomainInfo {
    const cert = domain.certificate === undefined ? undefined : describeCertificate(domain.certificate.certPem);
    const expires = domain.certificate?.notAfter ?? null;
    const status = domainStatus({ notAfter: domain.certificate?.notAfter, ordering: this.ordering.has(domain.name), lastError: domain.lastError }, this.now(), this.options.renewBeforeMs);
    return { name: domain.name, source: domain.source, expires, status, issuer: cert?.issuer ?? null, names: cert?.names ?? [], error: domain.lastError };
  }

  /** What the CA sent, checked like a given pair (it must cover the name and match the key). */
  private issuedRow(name: string, issued: Issued): CertificateRow {
    const checked = checkPair(name, issued.certPem, issued.keyPem, this.now());
    if ("problem" in checked) throw new WharfError("ACME_FAILED", `the CA issued a certificate Wharf cannot serve: ${checked.problem}`);
    return this.row(checked.certPem, checked.keyPem);
  }

  private row(certPem: string, keyPem: string): CertificateRow {
    const info = describeCertificate(certPem);
    return { certPem, keyPem, notBefore: info.notBefore, notAfter: info.notAfter, created: this.now() };
  }
}

function validName(raw: string): string {
  const name = normalizeDomain(raw);
  const problem = domainNameProblem(name);
  if (problem !== undefined) throw new WharfError("DOMAIN_INVALID", problem);
  return name;
}

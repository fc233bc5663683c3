/**
 * Certificates from an ACME CA (Let's Encrypt, or any RFC 8555 directory) by HTTP-01, with the
 * npm `acme-client`. While an order is pending its challenge tokens are held here, and the gateway
 * answers `GET /.well-known/acme-challenge/<token>` for the ordering domain's Host from them
 * (`challenge()`); they are dropped as soon as the CA has validated (or failed) them.
 *
 * One ACME account per (directory, email), its key kept in the store. Extra trust for a test CA's
 * directory (pebble's self-signed TLS) is given as PEM and added to Node's roots for ACME calls
 * only; verification is never turned off.
 */
import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import acme from "acme-client";
import { WharfError } from "../sdk/errors.ts";
import type { Store } from "./store.ts";

export interface AcmeOrder {
  name: string;
  directory: string;
  email: string;
}

export interface Issued {
  /** The certificate chain as the CA sent it (server certificate first). */
  certPem: string;
  keyPem: string;
}

export interface AcmeOptions {
  store: Store;
  /** PEM certificates trusted for the directory's HTTPS besides Node's roots (`WHARF_ACME_CA_FILE`). */
  extraCa?: string;
}

export class AcmeIssuer {
  /** token → the domain it was issued for and the answer the CA expects. */
  private readonly pending = new Map<string, { host: string; keyAuthorization: string }>();

  constructor(private readonly options: AcmeOptions) {
    // acme-client retries a failed call 5 times, 5 s more apart each time (75 s in all, even for a
    // refused connection or an untrusted certificate): fewer, shorter tries answer the CLI sooner.
    // A CA's Retry-After is still honoured.
    const settings = (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number; retryDefaultDelay: number } }).acmeSettings;
    if (settings !== undefined) Object.assign(settings, { retryMaxAttempts: 3, retryDefaultDelay: 1 });
    if (options.extraCa !== undefined) {
      // acme-client's own axios instance (not the process's): only its calls trust the extra CA.
      acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, options.extraCa], keepAlive: false });
    }
  }

  /** The key authorization for a pending HTTP-01 token of `host`, or undefined. */
  challenge(host: string, token: string): string | undefined {
    const entry = this.pending.get(token);
    return entry !== undefined && entry.host === host ? entry.keyAuthorization : undefined;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Orders a certificate for one name and waits until the CA has issued it. */
  async issue(order: AcmeOrder): Promise<Issued> {
    const { name, directory, email } = order;
    try {
      const accountKey = await this.accountKey(directory, email);
      // No accountUrl: registering a known key returns its account (and recreates one a CA forgot).
      const client = new acme.Client({ directoryUrl: directory, accountKey });
      const key = await acme.crypto.createPrivateEcdsaKey();
      const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, key);
      const certPem = await client.auto({
        csr,
        ...(email === "" ? {} : { email }),
        termsOfServiceAgreed: true,
        challengePriority: ["http-01"],
        // acme-client would first fetch the challenge itself through public DNS and port 80; the
        // CA's own validation is the one that counts (and the only one that works behind NAT).
        skipChallengeVerification: true,
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          if (challenge.type !== "http-01") throw new Error(`only http-01 challenges are supported, the CA offered ${challenge.type}`);
          this.pending.set(challenge.token, { host: name, keyAuthorization });
        },
        challengeRemoveFn: async (_authz, challenge) => {
          this.pending.delete(challenge.token);
        },
      });
      this.options.store.saveAcmeAccount({ directory, email, keyPem: accountKey, url: client.getAccountUrl() });
      return { certPem, keyPem: key.toString() };
    } catch (err) {
      throw new WharfError("ACME_FAILED", `could not get a certificate for ${name} from ${directory}: ${explain(err)}`, { cause: err });
    }
  }

  /** The account key of (directory, email), created and stored on first use. */
  private async accountKey(directory: string, email: string): Promise<string> {
    const known = this.options.store.acmeAccount(directory, email);
    if (known !== undefined) return known.keyPem;
    const keyPem = (await acme.crypto.createPrivateEcdsaKey()).toString();
    this.options.store.saveAcmeAccount({ directory, email, keyPem, url: null });
    return keyPem;
  }
}

/** One line saying what went wrong, with the fix for the usual causes. */
function explain(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? "";
  const message = (e.message ?? String(err)).replace(/\s+/g, " ").trim();
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|self[- ]signed/i.test(`${code} ${message}`)) {
    return `${message}: the directory's TLS certificate is not trusted; for a private or test CA set WHARF_ACME_CA_FILE=PEM when starting wharf server`;
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND") return `${message}: is the directory URL right and the CA reachable?`;
  if (/authorization|challenge|invalid/i.test(message)) return `${message} (the CA must reach this server's HTTP port at the domain's address for http-01)`;
  return message;
}

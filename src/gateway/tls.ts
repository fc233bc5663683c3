/**
 * The HTTPS listener's certificates, chosen by SNI: the exact name first, then the `*.parent`
 * wildcard one level up. Contexts are swapped in place (a renewal takes effect at the next
 * handshake, without a restart). A name with no certificate, or a client that sends no SNI,
 * gets no certificate: the handshake fails.
 */
import { createSecureContext, type SecureContext } from "node:tls";

/** The certificate names tried for an SNI server name, in order. */
export function sniCandidates(servername: string): string[] {
  const name = servername.toLowerCase().replace(/\.$/, "");
  const dot = name.indexOf(".");
  return dot <= 0 ? [name] : [name, `*.${name.slice(dot + 1)}`];
}

export class SniContexts {
  private readonly contexts = new Map<string, SecureContext>();

  /** Adds or replaces the certificate (PEM chain) and key served for `name`. Throws if Node's TLS refuses the pair. */
  set(name: string, certPem: string, keyPem: string): void {
    this.contexts.set(name, createSecureContext({ cert: certPem, key: keyPem }));
  }

  delete(name: string): void {
    this.contexts.delete(name);
  }

  get size(): number {
    return this.contexts.size;
  }

  lookup(servername: string): SecureContext | undefined {
    for (const name of sniCandidates(servername)) {
      const context = this.contexts.get(name);
      if (context !== undefined) return context;
    }
    return undefined;
  }

  /** For `tls.createServer({ SNICallback })`: an error aborts the handshake. */
  readonly callback = (servername: string, done: (err: Error | null, context?: SecureContext) => void): void => {
    const context = this.lookup(servername);
    if (context === undefined) done(new Error(`wharf: no certificate for ${servername}`));
    else done(null, context);
  };
}

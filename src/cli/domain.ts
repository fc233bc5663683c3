/**
 * `wharf domain add|list|remove`: custom domains' certificates on the server. A certificate is
 * given as PEM files (`--cert FILE --key FILE`, checked by the server: the key must match, the
 * certificate must cover NAME) or obtained from an ACME CA by HTTP-01 (`--acme`).
 */
import { readFileSync } from "node:fs";
import { domainAnswer, domainsAnswer, okAnswer } from "../control/admin-schemas.ts";
import { domainNameProblem, normalizeDomain } from "../control/certificates.ts";
import { WharfError } from "../sdk/errors.ts";
import { AdminClient } from "./admin-client.ts";
import { dataDir, table, time, unknownSub, UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";

/** Let's Encrypt's production directory: what `--acme` uses without `--acme-directory`. */
export const DEFAULT_ACME_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

const SUBCOMMANDS = "add NAME (--cert FILE --key FILE | --acme [--acme-directory URL] [--acme-email E]), list or remove NAME";

export const DOMAIN = {
  name: "domain",
  brief: "add, list and remove custom domains' certificates (PEM or ACME) on the server",
  usage: ["domain add NAME (--cert FILE --key FILE | --acme [--acme-directory URL] [--acme-email E])", "domain list", "domain remove NAME"],
  summary: "Certificates for custom domains on the running wharf server (served on its --https-port, chosen by SNI): add one from PEM files or from an ACME CA (HTTP-01, renewed before expiry), list them, remove one.",
  flags: {
    cert: { type: "string", value: "FILE", help: "add: the certificate chain (PEM)" },
    key: { type: "string", value: "FILE", help: "add: its private key (PEM)" },
    acme: { type: "boolean", default: false, help: "add: obtain the certificate from an ACME CA over HTTP-01" },
    "acme-directory": { type: "string", value: "URL", help: `add --acme: the CA's directory URL (default ${DEFAULT_ACME_DIRECTORY})` },
    "acme-email": { type: "string", value: "E", help: "add --acme: the contact address of the ACME account" },
    data: { type: "string", value: "DIR", help: "the server's data dir (default $WHARF_DATA, else ~/.wharf)" },
    json: { type: "boolean", default: false, help: "print add and list results as JSON" },
  },
  examples: ["wharf domain add api.example.com --acme --acme-email ops@example.com", "wharf domain add api.example.com --cert cert.pem --key key.pem", "wharf domain list"],
} as const satisfies CommandSpec;

export async function domain(args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(DOMAIN, rest);
  const client = (): AdminClient => AdminClient.fromDataDir(dataDir(values.data));
  switch (sub) {
    case "add": {
      const name = oneName(positionals, "add");
      const pem = values.cert !== undefined || values.key !== undefined;
      if (values.acme && pem) throw new UsageError("wharf domain add takes either --cert FILE --key FILE or --acme, not both");
      if (!values.acme && (values["acme-directory"] !== undefined || values["acme-email"] !== undefined)) throw new UsageError("--acme-directory and --acme-email go with --acme");
      let body: unknown;
      if (values.acme) {
        body = { name, acme: { directory: values["acme-directory"] ?? DEFAULT_ACME_DIRECTORY, ...(values["acme-email"] === undefined ? {} : { email: values["acme-email"] }) } };
      } else {
        if (values.cert === undefined || values.key === undefined) throw new UsageError("wharf domain add NAME needs --cert FILE and --key FILE (PEM), or --acme");
        body = { name, cert: readPem("--cert", values.cert), key: readPem("--key", values.key) };
      }
      if (values.acme && !values.json) out.info(`ordering a certificate for ${name} from ${values["acme-directory"] ?? DEFAULT_ACME_DIRECTORY}…`);
      const added = await client().call("POST", "/v1/domains", domainAnswer, body);
      if (values.json) return out.info(JSON.stringify(added));
      const expires = added.expires === null ? "-" : time(added.expires);
      out.success(`domain ${added.name}: certificate for ${added.names.join(", ")} issued by ${added.issuer ?? "?"}, expires ${expires}`);
      return;
    }
    case "list": {
      if (positionals.length > 0) throw new UsageError("wharf domain list takes no arguments");
      const { domains } = await client().call("GET", "/v1/domains", domainsAnswer);
      if (values.json) return out.info(JSON.stringify(domains));
      if (domains.length === 0) return out.info("no custom domains: add one with wharf domain add NAME --cert FILE --key FILE, or --acme");
      const status = (d: (typeof domains)[number]): string => (d.error === null ? d.status : `${d.status}: ${d.error}`);
      out.info(table(["NAME", "SOURCE", "EXPIRES", "STATUS"], domains.map((d) => [d.name, d.source, d.expires === null ? "-" : time(d.expires), status(d)])));
      return;
    }
    case "remove": {
      const name = oneName(positionals, "remove");
      await client().call("POST", `/v1/domains/${encodeURIComponent(name)}/remove`, okAnswer, {});
      out.success(`domain ${name} removed: HTTPS no longer serves it (apps keep their routes over HTTP)`);
      return;
    }
    default:
      throw sub === undefined ? new UsageError(`wharf domain needs a subcommand: ${SUBCOMMANDS}`) : unknownSub("domain", sub, ["add", "list", "remove"], SUBCOMMANDS);
  }
}

function oneName(positionals: string[], sub: string): string {
  const raw = positionals[0];
  if (raw === undefined || positionals.length > 1) throw new UsageError(`wharf domain ${sub} takes one domain NAME`);
  const name = normalizeDomain(raw);
  const problem = domainNameProblem(name);
  if (problem !== undefined) throw new UsageError(problem);
  return name;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new WharfError("FILE_UNREADABLE", `cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

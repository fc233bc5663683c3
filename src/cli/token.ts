/**
 * `wharf token create|list|revoke`: proxy-auth tokens on the server. The secret is printed once,
 * at creation; the server keeps only its hash.
 */
import { okAnswer, tokenCreatedAnswer, tokensAnswer } from "../control/admin-schemas.ts";
import { isTokenId } from "../control/tokens.ts";
import { AdminClient } from "./admin-client.ts";
import { dataDir, table, time, unknownSub, UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";

export const TOKEN = {
  name: "token",
  brief: "create, list and revoke proxy-auth tokens on the server",
  usage: ["token create [--name N]", "token list", "token revoke wk-…"],
  summary: "Proxy-auth tokens for requiresProxyAuth endpoints on the running wharf server: create one (its secret is shown once), list them, revoke one.",
  flags: {
    name: { type: "string", value: "N", help: "create: a name to recognise the token by" },
    data: { type: "string", value: "DIR", help: "the server's data dir (default $WHARF_DATA, else ~/.wharf)" },
    json: { type: "boolean", default: false, help: "print create and list results as JSON" },
  },
  examples: ["wharf token create --name ci", "wharf token revoke wk-AbC123"],
} as const satisfies CommandSpec;

export async function token(args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(TOKEN, rest);
  const client = (): AdminClient => AdminClient.fromDataDir(dataDir(values.data));
  switch (sub) {
    case "create": {
      if (positionals.length > 0) throw new UsageError("wharf token create takes no arguments (name it with --name N)");
      const created = await client().call("POST", "/v1/tokens", tokenCreatedAnswer, values.name === undefined ? {} : { name: values.name });
      if (values.json) return out.info(JSON.stringify(created));
      out.success(`created token ${created.id}${created.name === "" ? "" : ` (${created.name})`}; the secret is shown only now, store it safely`);
      out.info(`Modal-Key: ${created.id}`);
      out.info(`Modal-Secret: ${created.secret}`);
      return;
    }
    case "list": {
      if (positionals.length > 0) throw new UsageError("wharf token list takes no arguments");
      const { tokens } = await client().call("GET", "/v1/tokens", tokensAnswer);
      if (values.json) return out.info(JSON.stringify(tokens));
      if (tokens.length === 0) return out.info("no tokens: create one with wharf token create --name N");
      out.info(table(["ID", "NAME", "CREATED", "REVOKED"], tokens.map((t) => [t.id, t.name, time(t.created), t.revoked === null ? "-" : time(t.revoked)])));
      return;
    }
    case "revoke": {
      const id = positionals[0];
      if (id === undefined || positionals.length > 1) throw new UsageError("wharf token revoke takes one token id (wk-…)");
      if (!isTokenId(id)) throw new UsageError(`${id} is not a token id: pass the wk-… id that wharf token list shows`);
      await client().call("POST", `/v1/tokens/${encodeURIComponent(id)}/revoke`, okAnswer, {});
      out.success(`token ${id} revoked`);
      return;
    }
    default:
      throw sub === undefined ? new UsageError("wharf token needs a subcommand: create, list or revoke") : unknownSub("token", sub, ["create", "list", "revoke"], "create, list or revoke");
  }
}

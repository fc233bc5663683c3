/**
 * `wharf secret create|list|delete`: named sets of KEY=VALUE pairs on the server, stored encrypted
 * in its data dir and given to the containers of the functions that name them in `secrets: [...]`.
 * Values go to the server once and are never shown again: `list` prints names, keys and users.
 */
import { okAnswer, secretAnswer, secretsAnswer } from "../control/admin-schemas.ts";
import { AdminClient } from "./admin-client.ts";
import { dataDir, table, time, unknownSub, UsageError } from "./command-kit.ts";
import { parsePairs, readDotenv } from "./dotenv.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";

export const SECRET = {
  name: "secret",
  brief: "create, list and delete secrets that functions get as environment variables",
  usage: ["secret create NAME KEY=VALUE… [--env-file FILE] [--force]", "secret list", "secret delete NAME"],
  summary: "Secrets on the running wharf server, stored encrypted in its data dir: a function with secrets: [\"NAME\"] gets the secret's keys as environment variables in its containers (and no other function does). Values are never shown again; list prints names, keys and which functions use each. A changed value reaches containers started after the change.",
  flags: {
    "env-file": { type: "string", value: "FILE", help: "create: read KEY=VALUE pairs from a .env file too (pairs on the command line win)" },
    force: { type: "boolean", default: false, help: "create: replace an existing secret's keys and values" },
    data: { type: "string", value: "DIR", help: "the server's data dir (default $WHARF_DATA, else ~/.wharf)" },
    json: { type: "boolean", default: false, help: "print create and list results as JSON" },
  },
  examples: ["wharf secret create stripe STRIPE_KEY=sk_live_… STRIPE_WEBHOOK_SECRET=whsec_…", "wharf secret create postgres --env-file prod.env --force", "wharf secret list"],
} as const satisfies CommandSpec;

export async function secret(args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(SECRET, rest);
  const client = (): AdminClient => AdminClient.fromDataDir(dataDir(values.data));
  switch (sub) {
    case "create": {
      const [name, ...pairs] = positionals;
      if (name === undefined) throw new UsageError("wharf secret create takes a NAME, then KEY=VALUE pairs", "secret");
      const given = { ...(values["env-file"] === undefined ? {} : readDotenv(values["env-file"], true)), ...parsePairs(pairs) };
      if (Object.keys(given).length === 0) throw new UsageError(`wharf secret create ${name} needs at least one KEY=VALUE pair (or --env-file FILE)`, "secret");
      const created = await client().call("POST", "/v1/secrets", secretAnswer, { name, values: given, replace: values.force });
      if (values.json) return out.info(JSON.stringify(created));
      out.success(`secret ${created.name} ${created.created === created.updated ? "created" : "replaced"} with keys ${created.keys.join(", ")}`);
      out.info(created.usedBy.length === 0 ? `use it with app.function({ secrets: [${JSON.stringify(created.name)}] })` : `used by ${created.usedBy.join(", ")}: their containers started from now on get the new values (redeploy to replace running ones)`);
      return;
    }
    case "list": {
      if (positionals.length > 0) throw new UsageError("wharf secret list takes no arguments", "secret");
      const { secrets } = await client().call("GET", "/v1/secrets", secretsAnswer);
      if (values.json) return out.info(JSON.stringify(secrets));
      if (secrets.length === 0) return out.info("no secrets: create one with wharf secret create NAME KEY=VALUE…");
      out.info(table(["NAME", "KEYS", "UPDATED", "USED BY"], secrets.map((s) => [s.name, s.keys.join(","), time(s.updated), s.usedBy.length === 0 ? "-" : s.usedBy.join(",")])));
      return;
    }
    case "delete": {
      const name = positionals[0];
      if (name === undefined || positionals.length > 1) throw new UsageError("wharf secret delete takes one secret NAME", "secret");
      await client().call("POST", `/v1/secrets/${encodeURIComponent(name)}/delete`, okAnswer, {});
      out.success(`secret ${name} deleted`);
      return;
    }
    default:
      throw sub === undefined ? new UsageError("wharf secret needs a subcommand: create, list or delete", "secret") : unknownSub("secret", sub, ["create", "list", "delete"], "create, list or delete");
  }
}

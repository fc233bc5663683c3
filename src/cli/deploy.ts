/**
 * `wharf deploy FILE [--name N]`: bundles FILE here, uploads it to the server's admin API, which
 * checks it, starts it as the app's next version and flips traffic to it with no failed request.
 * `--name N` deploys the file as app N instead of the name in `new wharf.App(…)`: N replaces the
 * app's name everywhere, its default labels included (`N-hello`); explicit labels stay as given.
 */
import { readFileSync } from "node:fs";
import { bundleApp } from "../build/bundle.ts";
import { deployAnswer } from "../control/admin-schemas.ts";
import { APP_NAME } from "../sdk/app.ts";
import { AdminClient } from "./admin-client.ts";
import { dataDir, endpointLine, UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";
import { SDK_PATH } from "./paths.ts";

export const DEPLOY = {
  name: "deploy",
  brief: "deploy an app file to the server as its next version, with no failed request",
  usage: ["deploy FILE [flags]"],
  summary: "Bundle FILE and deploy it to the running wharf server as its app's next version: checked and started before traffic flips to it, with no failed request.",
  flags: {
    name: { type: "string", value: "N", help: "deploy as app N instead of the name in new wharf.App(…)" },
    data: { type: "string", value: "DIR", help: "the server's data dir (default $WHARF_DATA, else ~/.wharf)" },
    json: { type: "boolean", default: false, help: "print the result as JSON" },
  },
  examples: ["wharf deploy app.ts", "wharf deploy app.ts --name staging --data /srv/wharf"],
} as const satisfies CommandSpec;

export async function deploy(args: string[], out: Output): Promise<void> {
  const { values, positionals } = parseFlags(DEPLOY, args);
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError("wharf deploy takes one FILE");
  if (values.name !== undefined && !APP_NAME.test(values.name)) throw new UsageError(`--name ${values.name} is not an app name: use 1..40 characters of [a-z0-9-]`);
  const client = AdminClient.fromDataDir(dataDir(values.data));
  const bundle = await bundleApp(file, SDK_PATH);
  const body = { bundle: readFileSync(bundle.path, "utf8"), ...(values.name === undefined ? {} : { name: values.name }) };
  const result = await client.call("POST", "/v1/apps", deployAnswer, body);
  if (values.json) {
    out.info(JSON.stringify(result));
    return;
  }
  out.info(`app ${result.app}: version ${result.version} is live`);
  for (const e of result.endpoints) out.success(endpointLine(e));
}

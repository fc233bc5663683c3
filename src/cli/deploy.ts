/**
 * `wharf deploy FILE [--name N]`: bundles FILE here, uploads it to the server's admin API, which
 * checks it, starts it as the app's next version and flips traffic to it with no failed request.
 * `--name N` deploys the file as app N instead of the name in `new wharf.App(…)`: N replaces the
 * app's name everywhere, its default labels included (`N-hello`); explicit labels stay as given.
 * `--dry-run -o yaml|json` talks to no server: it prints the Kubernetes objects the version would
 * become under `wharf server --backend kubernetes` (docs/kubernetes.md).
 */
import { readFileSync } from "node:fs";
import { BUNDLE_PORT } from "../backends/kubernetes/install.ts";
import { renderVersion } from "../backends/kubernetes/render.ts";
import { renderedYaml } from "../backends/kubernetes/yaml.ts";
import { bundleApp } from "../build/bundle.ts";
import { checkBundle } from "../build/check.ts";
import { deployAnswer } from "../control/admin-schemas.ts";
import { planEndpoints } from "../control/plan.ts";
import { APP_NAME } from "../sdk/app.ts";
import { AdminClient } from "./admin-client.ts";
import { dataDir, endpointLine, UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";
import { AGENT_PATH, SDK_PATH } from "./paths.ts";

export const DEPLOY = {
  name: "deploy",
  brief: "deploy an app file to the server as its next version, with no failed request",
  usage: ["deploy FILE [flags]"],
  summary: "Bundle FILE and deploy it to the running wharf server as its app's next version: checked and started before traffic flips to it, with no failed request.",
  flags: {
    name: { type: "string", value: "N", help: "deploy as app N instead of the name in new wharf.App(…)" },
    data: { type: "string", value: "DIR", help: "the server's data dir (default $WHARF_DATA, else ~/.wharf)" },
    json: { type: "boolean", default: false, help: "print the result as JSON" },
    "dry-run": { type: "boolean", default: false, help: "deploy nothing: print the Kubernetes objects the version would be (with -o)" },
    output: { type: "string", short: "o", default: "yaml", value: "FORMAT", help: "--dry-run: yaml or json" },
    namespace: { type: "string", default: "default", value: "NS", help: "--dry-run: the namespace of the objects" },
    image: { type: "string", default: "wharf-runtime:latest", value: "IMAGE", help: "--dry-run: the runtime image (Containerfile)" },
  },
  examples: ["wharf deploy app.ts", "wharf deploy app.ts --name staging --data /srv/wharf", "wharf deploy app.ts --dry-run -o yaml --namespace apps"],
} as const satisfies CommandSpec;

export async function deploy(args: string[], out: Output): Promise<void> {
  const { values, positionals } = parseFlags(DEPLOY, args);
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError("wharf deploy takes one FILE");
  if (values.name !== undefined && !APP_NAME.test(values.name)) throw new UsageError(`--name ${values.name} is not an app name: use 1..40 characters of [a-z0-9-]`);
  if (values["dry-run"]) return dryRun(file, values, out);
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

/**
 * The objects the version would be, checked as the backend checks them. The app's top-level code
 * runs here (as under `wharf serve`) to read its manifest. The version number is the server's to
 * assign: the objects show it as 1.
 */
async function dryRun(file: string, values: { name?: string | undefined; output: string; namespace: string; image: string }, out: Output): Promise<void> {
  if (values.output !== "yaml" && values.output !== "json") throw new UsageError(`-o ${values.output} is not an output format: use yaml or json`, "deploy");
  const bundle = await bundleApp(file, SDK_PATH);
  const checked = await checkBundle(AGENT_PATH, bundle.path, process.cwd());
  const manifest = values.name === undefined ? checked : { ...checked, app: values.name };
  // The checks a deploy makes of the app on its own (labels, domains); the server adds its others'.
  planEndpoints(manifest, { dev: false, baseDomain: "localhost" });
  const objects = renderVersion(manifest, { app: manifest.app, version: 1, bundleSha256: bundle.hash }, {
    namespace: values.namespace,
    image: values.image,
    bundleBase: `http://wharf-control.${values.namespace}.svc:${BUNDLE_PORT}/bundles`,
    bundleTokenSecret: "wharf-bundle-token",
  });
  // Loaded here: the schemas cost every other command's start (a chunk of its own, build.mjs).
  const { renderedProblems } = await import("../backends/kubernetes/validate.ts");
  const problems = renderedProblems(objects);
  if (problems.length > 0) throw new UsageError(`the Kubernetes objects of ${file} are not valid:\n  ${problems.join("\n  ")}`, "deploy");
  if (values.output === "json") out.info(JSON.stringify({ apiVersion: "v1", kind: "List", items: objects.flatMap((o) => [o.deployment, o.service]) }, null, 2));
  else out.info(renderedYaml(objects).trimEnd());
}

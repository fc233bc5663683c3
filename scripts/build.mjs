// Builds the platform (CLI, runtime agent, SDK) from src/ into dist/ with esbuild, and the SDK's
// declaration files into dist/types with tsc; dependencies stay external (resolved from
// node_modules at run time). Runs on `npm ci` (prepare) and before `npm pack` (prepack).
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";

const common = { outdir: "dist", bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", sourcemap: "linked", logLevel: "warning" };
rmSync("dist", { recursive: true, force: true });
await build({ ...common, entryPoints: { agent: "src/runtime/agent.ts", sdk: "src/sdk/index.ts" } });
// The CLI is split at its dynamic imports: what only `--backend kubernetes`, `wharf k8s` and
// `deploy --dry-run` use (the Kubernetes client, the schemas) loads in chunks of its own, so
// every other command starts without them. Chunks sit beside cli.js: code that finds files
// relative to its own module (paths.ts, the dashboard's assets) works from any of them.
await build({ ...common, entryPoints: { cli: "src/cli/main.ts" }, splitting: true, chunkNames: "cli-[name]-[hash]" });

// The dashboard's page, script and styles, served by the CLI from beside it (src/dashboard/assets.ts).
rmSync("dist/dashboard", { recursive: true, force: true });
cpSync("src/dashboard/public", "dist/dashboard", { recursive: true });

// Declarations: the SDK's sources import each other as `./x.ts`; a published `.d.ts` must say
// `./x.js`, or users' tsc (nodenext, bundler) fails with TS5097 without allowImportingTsExtensions.
const types = "dist/types";
rmSync(types, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.types.json"], { stdio: "inherit" });
for (const name of readdirSync(types)) {
  const file = join(types, name);
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(/(["'])(\.\.?\/[^"']+)\.ts\1/g, "$1$2.js$1"));
}

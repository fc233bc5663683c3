// Builds the platform (CLI, runtime agent, SDK) from src/ into dist/ with esbuild, and the SDK's
// declaration files into dist/types with tsc; dependencies stay external (resolved from
// node_modules at run time). Runs on `npm ci` (prepare) and before `npm pack` (prepack).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";

await build({
  entryPoints: { cli: "src/cli/main.ts", agent: "src/runtime/agent.ts", sdk: "src/sdk/index.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});

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

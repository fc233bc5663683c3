// Builds the platform (CLI, runtime agent, SDK) from src/ into dist/ with esbuild; dependencies
// stay external (resolved from node_modules at run time). Runs on `npm ci` via `prepare`.
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

/**
 * Bundles a user's app file into one content-addressed ESM file with esbuild: dependencies
 * inlined, native addons left external, `wharf` resolved to this SDK.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildFailure, type Message } from "esbuild";
import { WharfError } from "../sdk/errors.ts";
import { cacheBundle } from "./bundle-cache.ts";

export interface Bundle {
  /** Absolute path of the bundle file. */
  path: string;
  /** SHA-256 of the bundle's contents (hex). */
  hash: string;
  /** Absolute paths of the source files that went in: what a watcher watches. */
  inputs: string[];
}

// CommonJS dependencies (Express, Koa…) call require() on Node built-ins; an ESM bundle needs one.
const REQUIRE_SHIM = `import { createRequire as __wharfCreateRequire } from "node:module"; const require = __wharfCreateRequire(import.meta.url);`;

/** Native addons and optional native accelerators: never inlined. */
const NATIVE = ["*.node", "better-sqlite3", "bufferutil", "utf-8-validate", "fsevents"];

export async function bundleApp(entry: string, sdkPath: string): Promise<Bundle> {
  const file = resolve(entry);
  if (!existsSync(file)) throw new WharfError("FILE_NOT_FOUND", `${entry}: no such file. Pass the path of your app file, e.g. wharf serve examples/hello.ts.`);
  let result;
  try {
    result = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // esbuild renames shadowed function expressions (hello → hello2); names are part of the contract.
      keepNames: true,
      external: NATIVE,
      alias: { wharf: sdkPath },
      banner: { js: REQUIRE_SHIM },
      logLevel: "silent",
      absWorkingDir: dirname(file),
      // A source map of the user's code only (the agent's own stays off: docs/observability.md),
      // so stack traces name src/app.ts:12:5 rather than a line of the bundle.
      sourcemap: "external",
      sourcesContent: false,
      outfile: join(dirname(file), "wharf-bundle.mjs"),
    });
  } catch (err) {
    throw new WharfError("BUILD_FAILED", formatBuildError(err, dirname(file)), { cause: err });
  }
  const code = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"));
  if (code === undefined) throw new WharfError("BUILD_FAILED", `${entry}: esbuild produced no output`, { kind: "system" });
  const output = { contents: map === undefined ? code.contents : withInlineMap(code.text, map.text, dirname(file)) };
  const hash = createHash("sha256").update(output.contents).digest("hex");
  // Beside the project's node_modules, so external packages resolve from the bundle's location.
  const path = cacheBundle(join(projectRoot(file), "node_modules", ".cache", "wharf"), file, hash, output.contents);
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => resolve(dirname(file), p))
    .filter((p) => !p.includes("node_modules") && p !== resolve(sdkPath));
  return { path, hash, inputs };
}

/**
 * The bundle with its source map inline, the map's sources made absolute: the bundle is run from
 * a cache dir (serve) or a server's data dir (deploy), so paths relative to where esbuild would
 * have written it would point nowhere.
 */
function withInlineMap(code: string, mapText: string, workingDir: string): Buffer {
  const map = JSON.parse(mapText) as { sources: string[] };
  map.sources = map.sources.map((s) => pathToFileURL(resolve(workingDir, s)).href);
  const body = code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  return Buffer.from(`${body}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}\n`);
}

function projectRoot(file: string): string {
  let dir = dirname(file);
  for (;;) {
    if (existsSync(join(dir, "package.json")) || existsSync(join(dir, "node_modules"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(file);
    dir = parent;
  }
}

/** esbuild reports locations relative to `absWorkingDir` (the entry's directory); we show them relative to the user's. */
function formatBuildError(err: unknown, workingDir: string): string {
  const errors = (err as Partial<BuildFailure>).errors;
  const first: Message | undefined = errors?.[0];
  if (first === undefined) return err instanceof Error ? err.message : String(err);
  const where = first.location === null ? "" : `${relative(process.cwd(), resolve(workingDir, first.location.file))}:${first.location.line}:${first.location.column + 1}: `;
  const more = (errors?.length ?? 1) > 1 ? ` (and ${(errors?.length ?? 1) - 1} more)` : "";
  return `${where}${first.text}${more}`;
}

/**
 * `wharf init [DIR]`: a new project that serves at once: package.json (wharf, typescript,
 * @types/node), a strict nodenext tsconfig.json, .gitignore and app.ts with one endpoint. It only
 * creates files: if any of them exists, nothing is written and the message names it.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { WharfError } from "../sdk/errors.ts";
import { UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";
import { wharfVersion } from "./version.ts";

/** The app name from the directory's name, made to fit `[a-z0-9-]{1,40}`. */
export function appNameFor(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return name === "" ? "my-app" : name;
}

export function scaffold(name: string, version: string): Record<string, string> {
  const pkg = {
    name,
    private: true,
    type: "module",
    scripts: { dev: "wharf serve app.ts", deploy: "wharf deploy app.ts", typecheck: "tsc --noEmit" },
    dependencies: { wharf: `^${version}` },
    devDependencies: { "@types/node": "^20.19.0", typescript: "^5.9.0" },
  };
  const tsconfig = {
    compilerOptions: { target: "es2022", module: "nodenext", strict: true, noEmit: true },
    include: ["*.ts"],
  };
  const app = `import * as wharf from "wharf";

const app = new wharf.App(${JSON.stringify(name)});

// GET http://${name}-hello-dev.localhost:8000/ under \`wharf serve app.ts\`.
export const hello = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);
`;
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    ".gitignore": "node_modules/\n.env\n.env.*\n",
    "app.ts": app,
  };
}

export const INIT = {
  name: "init",
  brief: "create a project that serves at once (package.json, tsconfig.json, app.ts)",
  usage: ["init [DIR]"],
  summary: "Create a project in DIR (default: the current directory): package.json, tsconfig.json, .gitignore and app.ts with one endpoint, ready for npm install and wharf serve app.ts. Existing files are never overwritten.",
  flags: {},
  examples: ["wharf init my-app && cd my-app && npm install && npx wharf serve app.ts"],
} as const satisfies CommandSpec;

export function initCommand(args: string[], out: Output): void {
  const { positionals } = parseFlags(INIT, args);
  if (positionals.length > 1) throw new UsageError("wharf init takes at most one DIR");
  init(positionals[0] ?? ".", out);
}

/** Relative to the working directory when inside it, else absolute. */
function pathForUser(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel === "" ? "." : rel.startsWith("..") ? resolve(path) : rel;
}

export function init(dir: string, out: Output): void {
  const files = scaffold(appNameFor(dir), wharfVersion());
  const shown = (file: string): string => pathForUser(join(dir, file));
  const taken = Object.keys(files).find((file) => existsSync(join(dir, file)));
  if (taken !== undefined) throw new WharfError("INIT_EXISTS", `${shown(taken)} already exists: wharf init only creates new files (nothing was written); run it in an empty directory, e.g. wharf init my-app`);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(join(dir, file), text, { flag: "wx" });
    out.success(`created ${shown(file)}`);
  }
  const cd = resolve(dir) === process.cwd() ? "" : `cd ${pathForUser(dir)} && `;
  out.info(`next: ${cd}npm install && npx wharf serve app.ts`);
}

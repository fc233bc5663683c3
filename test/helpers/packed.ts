/**
 * Wharf as a user gets it: `npm pack` of this checkout (dist/ already built by `npm test`), installed
 * with npm into a fresh temp project together with `@types/node` and `typescript` taken from this
 * repo's node_modules (file: paths, so the user's toolchain matches ours and nothing else leaks in).
 * `--prefer-offline` answers from npm's cache when it can; a fresh machine fetches once.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { hostRequest, stopper, watchLines } from "./process.ts";
import { ROOT, type Served } from "./serve.ts";

const run = promisify(execFile);

export interface PackedProject {
  /** The project's directory: package.json (type module) and node_modules with wharf in it. */
  dir: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
  cleanup(): void;
}

/** Packs without scripts: `npm test` built dist/ already, and rebuilding it would race other tests. */
export async function pack(into: string): Promise<string> {
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", into], { cwd: ROOT });
  const [info] = JSON.parse(stdout) as [{ filename: string }];
  return join(into, info.filename);
}

/** The paths `npm pack` would put in the tarball. */
export async function packList(): Promise<string[]> {
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--dry-run", "--json"], { cwd: ROOT });
  const [info] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return info.files.map((f) => f.path);
}

/** A temp project with Wharf installed from its tarball. `dir` may be given (e.g. after `wharf init`). */
export async function packedProject(dir = mkdtempSync(join(tmpdir(), "wharf-user-"))): Promise<PackedProject> {
  const store = mkdtempSync(join(tmpdir(), "wharf-pack-"));
  // A user's project is readable by others (mkdtemp makes it 0700): sandboxed containers run as a
  // uid of their own and must read the installed runtime and the project (docs/isolation.md).
  chmodSync(dir, 0o755);
  const tarball = await pack(store);
  if (!existsSync(join(dir, "package.json"))) {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }, null, 2));
  }
  const deps = [tarball, `file:${join(ROOT, "node_modules", "@types", "node")}`, `file:${join(ROOT, "node_modules", "typescript")}`];
  await run("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--save-dev", ...deps], { cwd: dir, timeout: 240_000 });
  return {
    dir,
    tarball,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(store, { recursive: true, force: true });
    },
  };
}

/** `npx wharf serve FILE --port 0` in `dir`, as a user types it; stopped by signalling its process group. */
export async function npxServe(dir: string, file: string): Promise<Served> {
  const proc = spawn("npx", ["--no", "wharf", "serve", file, "--port", "0"], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", WHARF_DATA: join(dir, ".wharf-data") },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const { lines, waitFor, exited } = watchLines(proc, "npx");
  const group = { kill: (signal: NodeJS.Signals) => { if (proc.pid !== undefined) process.kill(-proc.pid, signal); return true; }, get exitCode() { return proc.exitCode; }, get signalCode() { return proc.signalCode; } };
  const stop = stopper(group as unknown as ChildProcess, exited);
  try {
    const first = await waitFor(/=> http:\/\/\S+:(\d+)/, 30_000);
    const port = Number(/:(\d+)\s*$/.exec(first)?.[1]);
    return { proc, port, lines, waitFor, request: hostRequest(port), exited, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

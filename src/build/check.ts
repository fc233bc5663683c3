/**
 * Loads a bundle in a separate checker process (the runtime agent in `--check` mode) and returns
 * its manifest, or the app's one-line problem. Nothing else changes until this passes.
 */
import { spawn } from "node:child_process";
import type { Backend } from "../backends/backend.ts";
import { WharfError } from "../sdk/errors.ts";
import { parseManifest } from "../control/manifest-schema.ts";
import type { Manifest } from "../runtime/manifest.ts";
import { ERROR_MARK, MANIFEST_MARK } from "../runtime/protocol.ts";


/**
 * `backend`: where the checker runs like a container (the app's top-level code runs in it).
 * `env`: its whole environment, default the one the backend's containers start from (never a
 * secret: which secrets a function gets is known only from the manifest this returns).
 */
export function checkBundle(agentPath: string, bundle: string, cwd: string, backend?: Pick<Backend, "checkerCommand" | "baseEnv">, timeoutMs = 20_000, env: Readonly<Record<string, string | undefined>> = backend?.baseEnv ?? process.env): Promise<Manifest> {
  return new Promise((resolve, reject) => {
    const argv = (path: string): string[] => [process.execPath, agentPath, "--check", path];
    const sandboxed = backend?.checkerCommand?.(bundle, argv);
    const [file, ...args] = sandboxed === undefined ? argv(bundle) : [sandboxed.file, ...sandboxed.args];
    const child = spawn(file!, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", () => {}); // surfaces as the exit below
    child.on("close", (code) => {
      clearTimeout(timer);
      sandboxed?.release();
      const line = stdout.split("\n").find((l) => l.startsWith(MANIFEST_MARK));
      if (code === 0 && line !== undefined) {
        try {
          resolve(parseManifest(JSON.parse(line.slice(MANIFEST_MARK.length))));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
        return;
      }
      const reason = code === null ? `the app did not load within ${timeoutMs / 1000}s (does its top level wait on something?)` : (stderr.split("\n").find((l) => l.startsWith(ERROR_MARK))?.slice(ERROR_MARK.length) ?? lastLine(stderr));
      reject(new WharfError("APP_INVALID", reason || `the app failed to load (exit code ${code})`));
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

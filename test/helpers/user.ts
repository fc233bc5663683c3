/**
 * Running the CLI as an ordinary user (issue 10.7): when the suite runs as root, the isolation
 * cases run a second time under `nobody` through setpriv, on a copy of their fixture in a temp
 * project that user owns (the repo checkout is root's: the bundle cache could not be written).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/** The ordinary user: `nobody` exists on every Debian. */
export const TEST_UID = 65534;

/** The command prefix that runs a program as TEST_UID, with no supplementary groups. */
export const asTestUser = ["setpriv", `--reuid=${TEST_UID}`, `--regid=${TEST_UID}`, "--clear-groups", "--"];

/** Whether the suite can run a case as TEST_UID here: it runs as root. */
export function canSwitchUser(): boolean {
  return process.getuid?.() === 0 && spawnSync(asTestUser[0]!, [...asTestUser.slice(1), "true"], { stdio: "ignore" }).status === 0;
}

/** A temp project owned by TEST_UID holding copies of `files`; `home` is that user's HOME. */
export function userProject(files: string[]): { dir: string; home: string; file(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "wharf-user-"));
  const home = join(dir, "home");
  mkdirSync(home);
  for (const file of files) copyFileSync(file, join(dir, basename(file)));
  chmodSync(dir, 0o755);
  for (const path of [dir, home, ...files.map((f) => join(dir, basename(f)))]) chownSync(path, TEST_UID, TEST_UID);
  return { dir, home, file: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

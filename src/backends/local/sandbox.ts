/**
 * The sandbox a local container runs in (docs/isolation.md): bubblewrap puts the runtime agent in
 * its own PID, mount, network, IPC, UTS and cgroup namespaces (and, run by an ordinary user, a
 * user namespace), with no capabilities and `no_new_privs`. Its mount namespace is the host's tree with the platform's directories (every
 * container's sockets, the data dir) covered by empty tmpfs mounts it cannot remove (it holds no
 * capability), and only its own directory bound back in.
 *
 * Run as root, bubblewrap makes the namespaces with root's privileges and the agent is then
 * dropped (setpriv) to a host uid of its own from a reserved range, so that even a way out of the
 * namespaces lands as an unprivileged user. Run as an ordinary user, bubblewrap uses a user
 * namespace and the container runs as that user (an unprivileged user cannot use other uids),
 * still in its own namespaces.
 */
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { dirname } from "node:path";

/** Host uids (and gids) of containers when Wharf runs as root: [BASE, BASE + SIZE). */
export const SANDBOX_UID_BASE = 2_000_000_000;
const SANDBOX_UID_SIZE = 100_000_000;

export interface SandboxSpec {
  /** Host uid the container runs as (root only); undefined: the caller's own. */
  uid: number | undefined;
  /** Directories covered with an empty tmpfs inside (the platform's). */
  hide: string[];
  /**
   * Root only: directories closed to others (`/root`) above what the container must read, covered
   * by an empty tmpfs, and the directories under them it reads, bound back in (visibility.ts).
   */
  reach?: { cover: string[]; bind: string[] };
  /** Directories bound back in, at the same path (the container's own), after hiding. */
  own: string[];
  /** File descriptor (in the spawned process) bubblewrap writes its JSON info to: its init's host pid. */
  infoFd?: number;
  /** The program and its arguments. */
  argv: string[];
}

/** The command line that runs `spec.argv` in a sandbox. */
export function sandboxCommand(spec: SandboxSpec): { file: string; args: string[] } {
  const mounts = [
    "--bind",
    "/",
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    ...(spec.reach?.cover ?? []).flatMap((dir) => ["--tmpfs", dir]),
    ...(spec.reach?.bind ?? []).flatMap((dir) => bindUnder(spec.reach?.cover ?? [], dir)),
    ...spec.hide.flatMap((dir) => ["--tmpfs", dir]),
    ...spec.own.flatMap((dir) => bindUnder([...(spec.reach?.cover ?? []), ...spec.hide], dir)),
  ];
  // No --as-pid-1: bubblewrap's own init is PID 1 and the agent PID 2. An init ignores the
  // signals it has no handler for when they come from inside (a user's
  // `process.kill(process.pid, "SIGKILL")` would do nothing), and it must reap orphans; when the
  // agent exits, the init exits with its status (128 + signal) and the kernel ends the rest.
  const common = ["--die-with-parent", ...(spec.infoFd === undefined ? [] : ["--info-fd", String(spec.infoFd)]), ...mounts, "--"];
  if (spec.uid === undefined) return { file: "bwrap", args: ["--unshare-all", ...common, ...spec.argv] };
  // As root, bubblewrap makes the namespaces with root's own privileges (no user namespace, so
  // it can mount what the container's uid cannot even reach), and setpriv then becomes that uid
  // inside with no capability left in any set and no_new_privs.
  const id = String(spec.uid);
  const drop = ["setpriv", `--reuid=${id}`, `--regid=${id}`, "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"];
  const namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup"];
  return { file: "bwrap", args: [...namespaces, ...common, ...drop, ...spec.argv] };
}

/**
 * Binds `dir` back in under the tmpfs mounts `covers`: the directories between are made
 * searchable first (bubblewrap makes them 0700 as root, which the container's uid cannot pass).
 */
function bindUnder(covers: string[], dir: string): string[] {
  const cover = covers.filter((c) => dir.startsWith(`${c}/`)).sort((a, b) => b.length - a.length)[0];
  const between: string[] = [];
  if (cover !== undefined) {
    for (let at = dirname(dir); at !== cover && at.length > cover.length; at = dirname(at)) between.unshift(at);
  }
  return [...between.flatMap((at) => ["--perms", "0711", "--dir", at]), "--bind", dir, dir];
}

const used = new Set<number>();

/**
 * A host uid for a new container when running as root, undefined otherwise. Random in a range
 * no distribution assigns, and never one this process already uses: another Wharf on the machine
 * picking the same one is unlikely, and would still not see this container (PID namespace).
 */
export function containerUid(): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (;;) {
    const uid = SANDBOX_UID_BASE + randomInt(SANDBOX_UID_SIZE);
    if (!used.has(uid)) {
      used.add(uid);
      return uid;
    }
  }
}

export function releaseUid(uid: number | undefined): void {
  if (uid !== undefined) used.delete(uid);
}

/** The host pids whose parent is `pid` (the agent, of a sandbox's init): /proc has no children file here. */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after its last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** How a sandboxed agent ended: bubblewrap exits with 128 + the signal that ended it. */
export function sandboxedExit(code: number | null, signal: string | null): { code: number | null; signal: string | null } {
  if (signal !== null || code === null || code <= 128) return { code, signal };
  const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
  return name === undefined ? { code, signal } : { code: null, signal: name };
}

let cached: boolean | undefined;

/** Whether the sandbox works here: bubblewrap is installed and the kernel lets it make its namespaces. */
export function sandboxAvailable(): boolean {
  if (cached === undefined) {
    if (process.env["WHARF_NO_NETNS"] === "1" || process.env["WHARF_NO_SANDBOX"] === "1") cached = false;
    else {
      const uid = process.getuid?.() === 0 ? SANDBOX_UID_BASE : undefined;
      const { file, args } = sandboxCommand({ uid, hide: [], own: [], argv: ["/bin/true"] });
      cached = spawnSync(file, args, { stdio: "ignore", timeout: 5000 }).status === 0;
    }
  }
  return cached;
}

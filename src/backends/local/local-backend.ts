/**
 * The local backend: each container is an OS process running the runtime agent, in its own
 * process group (everything it spawns dies with it), in its own network namespace where the host
 * allows (every container can bind the same webServer port), under a memory cgroup when the
 * function sets `memory`. A few idle, warmed agents are kept on standby so that a new container
 * costs an import of the bundle, not a process start.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { WharfError } from "../../sdk/errors.ts";
import type { Backend, ContainerHandle, ContainerSpec, SandboxedCommand } from "../backend.ts";
import { memoryCgroupsAvailable } from "./cgroup.ts";
import { LocalContainer, spawnAgent, type IdleAgent } from "./container.ts";
import { mountnsAvailable, netnsAvailable } from "./isolation.ts";
import { containerUid, releaseUid, sandboxAvailable, sandboxCommand } from "./sandbox.ts";
import { bindsToReach, reachableThrough, within } from "./visibility.ts";

export interface LocalBackendOptions {
  /** Path of the built runtime agent (dist/agent.js). */
  agentPath: string;
  /** Idle agents kept ready. Default 2. */
  standby?: number;
  /** Called for conditions worth one warning (no isolation, no memory limits). */
  warn?: (message: string) => void;
  /** The platform's own directories (a server's data dir): absent from every container. */
  hide?: string[];
  /** Directories containers read (the project): reached even under a directory closed to others, such as /root (visibility.ts). */
  reach?: string[];
  /** The environment every container starts from, before its function's (default: this process's, as `wharf serve` wants). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A spawned agent and its directory (where its socket is, and bundles copied for it). */
interface Spawned extends IdleAgent {
  dir: string;
}

/** How long after a start its standby is replaced (see `start`). */
const REFILL_DELAY_MS = 30;

/** The parent of every local backend's sockets (several CLIs may run on one machine). */
function socketsParent(): string {
  const dir = join(tmpdir(), `wharf-run-${process.getuid?.() ?? "user"}`);
  // Searchable (not listable) by others: a sandboxed container's own uid must reach its directory.
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  // Someone else's directory (made first, or opened up) could be used to swap our sockets.
  const info = lstatSync(dir);
  if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o066) !== 0) {
    throw new WharfError("RUN_DIR_UNSAFE", `${dir} is not a private directory of this user (owner ${info.uid}, mode ${(info.mode & 0o777).toString(8)}): remove it and start again`, { kind: "system" });
  }
  // Made 0700 by an earlier version: open it for search only.
  if ((info.mode & 0o777) !== 0o711) chmodSync(dir, 0o711);
  return dir;
}

export class LocalBackend implements Backend {
  readonly networkIsolation: boolean;
  readonly deliversSpecEnv = true;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  private readonly memoryLimits: boolean;
  /** One directory per backend under a shared parent, which every container has hidden. */
  private readonly runDir = mkdtempSync(join(socketsParent(), "b-"));
  private readonly live = new Set<LocalContainer>();
  private readonly standby: Spawned[] = [];
  private readonly standbyTarget: number;
  private closed = false;
  private preparedBundle: string | undefined;
  private spawned = 0;
  /** Each container in its own mount namespace, where the sockets' directory is hidden. */
  private readonly socketsHidden: boolean;
  /** Each container in the sandbox (sandbox.ts): own uid, namespaces, no capabilities. */
  readonly sandboxed: boolean;
  private warnedMemory = false;

  /** Warmed idle runtimes waiting to become containers (the dashboard's "standby"). */
  get standbyCount(): number {
    return this.standby.length;
  }

  constructor(private readonly options: LocalBackendOptions) {
    chmodSync(this.runDir, 0o711);
    this.baseEnv = options.env ?? process.env;
    this.sandboxed = sandboxAvailable();
    // Run by root, a container's uid must still reach the agent and the project under /root.
    this.reach = process.getuid?.() === 0 ? bindsToReach([dirname(options.agentPath), ...(options.reach ?? [])]) : { cover: [], bind: [] };
    this.networkIsolation = this.sandboxed || netnsAvailable();
    this.memoryLimits = memoryCgroupsAvailable();
    this.socketsHidden = this.sandboxed || mountnsAvailable();
    this.standbyTarget = options.standby ?? 2;
    if (!this.networkIsolation) {
      options.warn?.("network namespaces are not available here (unshare --net failed): containers share the host network, so each webServer function runs one container at most");
    } else if (!this.sandboxed) {
      options.warn?.("the container sandbox is not available here (bubblewrap missing, or the kernel refuses user namespaces): containers get their own network but run as this user, with its privileges; install bubblewrap (apt-get install bubblewrap)");
    }
    this.refill();
  }

  /**
   * Has standby agents import `bundle` ahead of time, so the next container of it starts without
   * an import (undefined: stop preparing). The caller only asks for bundles whose functions set
   * no `env`, since module top-level code must see the environment it would see at start.
   */
  prepare(bundle: string | undefined): void {
    if (bundle === this.preparedBundle) return;
    const previous = this.preparedBundle;
    this.preparedBundle = bundle;
    // A standby that imported another bundle carries that bundle's top-level state (timers,
    // connections, handlers): replace it rather than start a different version in it.
    if (previous !== undefined) {
      for (const agent of this.standby.splice(0)) agent.kill();
      this.refill();
      return;
    }
    if (bundle !== undefined) for (const agent of this.standby) this.sendPrepare(agent, bundle);
  }

  private sendPrepare(agent: Spawned, bundle: string): void {
    void agent.idle.then(() => {
      if (agent.child.connected && this.preparedBundle === bundle) agent.child.send({ type: "prepare", bundle: this.visibleBundle(agent, bundle) }, () => {});
    }, () => {});
  }

  /**
   * The path at which a sandboxed agent can read `bundle`: as is when its uid may read it there,
   * else a copy in the agent's own directory (a server's bundles are in its data dir, which no
   * container sees; a project under a private directory is not readable by a container's uid).
   */
  private visibleBundle(agent: Spawned, bundle: string): string {
    if (!this.sandboxed) return bundle;
    const hidden = (this.options.hide ?? []).some((dir) => within(bundle, dir));
    if (!hidden && (this.uids.get(agent) === undefined || reachableThrough(bundle, this.reach.bind))) return bundle;
    const copy = join(agent.dir, basename(bundle));
    // Bundle names are content hashes: a copy made for `prepare` serves the start as it is.
    if (existsSync(copy)) return copy;
    copyFileSync(bundle, copy);
    // The store keeps bundles 0600; the agent's directory (0700, its uid's) is what protects this copy.
    chmodSync(copy, 0o644);
    return copy;
  }

  private readonly uids = new Map<Spawned, number | undefined>();
  private readonly reach: { cover: string[]; bind: string[] };

  /** A new directory of its own for a sandboxed process, and its sandbox (uid, what it does not see). */
  private place(prefix: string): { dir: string; uid: number | undefined; hide: string[]; reach: { cover: string[]; bind: string[] } } {
    const dir = join(this.runDir, `${prefix}${++this.spawned}`);
    mkdirSync(dir, { mode: 0o700 });
    const uid = this.sandboxed ? containerUid() : undefined;
    if (uid !== undefined) chownSync(dir, uid, uid);
    // What the container's uid cannot reach anyway needs no cover (bubblewrap, running as that
    // uid, could not even mount over it).
    const hide = [socketsParent(), ...(this.options.hide ?? [])].filter((d) => existsSync(d) && (uid === undefined || reachableThrough(d, this.reach.bind)));
    return { dir, uid, hide, reach: uid === undefined ? { cover: [], bind: [] } : this.reach };
  }

  private spawn(): Spawned {
    const { dir, uid, hide, reach } = this.place("a");
    const agent = spawnAgent(this.options.agentPath, {
      env: this.baseEnv,
      isolated: this.networkIsolation,
      socket: join(dir, "agent.sock"),
      hideDir: this.socketsHidden && !this.sandboxed ? socketsParent() : undefined,
      ...(this.sandboxed ? { sandbox: { uid, hide, reach, own: [dir] } } : {}),
    });
    const spawned: Spawned = Object.assign(agent, { dir });
    this.uids.set(spawned, uid);
    void agent.exited.then(() => {
      rmSync(dir, { recursive: true, force: true });
      this.uids.delete(spawned);
      releaseUid(uid);
    });
    return spawned;
  }

  /** The checker runs in a sandbox like a container's: it runs the app's top-level code. */
  checkerCommand(bundle: string, argv: (bundle: string) => string[]): SandboxedCommand | undefined {
    if (!this.sandboxed) return undefined;
    const { dir, uid, hide, reach } = this.place("k");
    const hidden = (this.options.hide ?? []).some((d) => within(bundle, d));
    let path = bundle;
    if (hidden || (uid !== undefined && !reachableThrough(bundle, this.reach.bind))) {
      path = join(dir, basename(bundle));
      copyFileSync(bundle, path);
      chmodSync(path, 0o644);
    }
    const { file, args } = sandboxCommand({ uid, hide, reach, own: [dir], argv: argv(path) });
    return {
      file,
      args,
      release: () => {
        rmSync(dir, { recursive: true, force: true });
        releaseUid(uid);
      },
    };
  }

  private refill(): void {
    while (!this.closed && this.standby.length < this.standbyTarget) {
      const agent = this.spawn();
      if (this.preparedBundle !== undefined) this.sendPrepare(agent, this.preparedBundle);
      this.standby.push(agent);
      void agent.exited.then(() => {
        const i = this.standby.indexOf(agent);
        if (i !== -1) this.standby.splice(i, 1);
      });
    }
  }

  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    if (this.closed) throw new Error("the backend is closed");
    const agent = this.standby.shift() ?? this.spawn();
    if (spec.memoryMiB !== null && !this.memoryLimits && !this.warnedMemory) {
      this.warnedMemory = true;
      this.options.warn?.(`memory limits are not enforced here (no writable cgroup v1 memory controller): ${spec.functionName} asks for ${spec.memoryMiB} MiB`);
    }
    let bundle: string;
    try {
      bundle = this.visibleBundle(agent, spec.bundle);
    } catch (err) {
      agent.kill();
      this.refill();
      throw new WharfError("CONTAINER_FAILED", `${spec.functionName}: cannot give the container its bundle: ${err instanceof Error ? err.message : String(err)}`, { kind: "system" });
    }
    const container = new LocalContainer({ ...spec, bundle }, agent, agent.socket, this.memoryLimits ? spec.memoryMiB : null);
    this.live.add(container);
    void container.exited.then(() => this.live.delete(container));
    try {
      await container.ready();
    } finally {
      // Refill only once the request that needed this container is on its way: spawning blocks
      // this event loop for milliseconds, and the new sandbox's set-up and Node start take CPU the
      // cold start being served should not share (a timer, not a microtask: after its I/O).
      setTimeout(() => this.refill(), REFILL_DELAY_MS);
    }
    return container;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const agent of this.standby.splice(0)) agent.kill();
    await Promise.all([...this.live].map((c) => c.stop(2000)));
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

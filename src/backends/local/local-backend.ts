/**
 * The local backend: each container is an OS process running the runtime agent, in its own
 * process group (so everything it spawns dies with it) and, where the host allows, its own
 * network namespace (so every container can bind the same webServer port).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { WharfError } from "../../sdk/errors.ts";
import type { FromAgent, ToAgent } from "../../runtime/protocol.ts";
import type { Backend, ContainerHandle, ContainerSpec } from "../backend.ts";
import { netnsAvailable } from "./isolation.ts";

export interface LocalBackendOptions {
  /** Path of the built runtime agent (dist/agent.js). */
  agentPath: string;
  /** Called once if containers must share the host network. */
  warn?: (message: string) => void;
}

export class LocalBackend implements Backend {
  private readonly runDir = mkdtempSync(join(tmpdir(), "wharf-"));
  private readonly live = new Set<LocalContainer>();
  private readonly isolated: boolean;

  constructor(private readonly options: LocalBackendOptions) {
    this.isolated = netnsAvailable();
    if (!this.isolated) {
      options.warn?.("network namespaces are not available here (unshare --net failed): containers share the host network, so a webServer port can be bound by one container only");
    }
  }

  get networkIsolation(): boolean {
    return this.isolated;
  }

  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    const node = [process.execPath, "--enable-source-maps", this.options.agentPath];
    const [command, args] = this.isolated ? ["unshare", ["--net", "--", ...node]] : [process.execPath, node.slice(1)];
    const child = spawn(command as string, args as string[], {
      cwd: spec.cwd,
      env: { ...process.env, ...(this.isolated ? { WHARF_NETNS: "1" } : {}) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      detached: true,
    });
    const container = new LocalContainer(spec, child, join(this.runDir, `${spec.id}.sock`));
    this.live.add(container);
    void container.exited.then(() => this.live.delete(container));
    await container.ready();
    return container;
  }

  async close(): Promise<void> {
    await Promise.all([...this.live].map((c) => c.stop(2000)));
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

class LocalContainer implements ContainerHandle {
  readonly id: string;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private failure: string | undefined;

  constructor(private readonly spec: ContainerSpec, private readonly child: ChildProcess, readonly socket: string) {
    this.id = spec.id;
    this.pid = child.pid ?? -1;
    for (const stream of ["stdout", "stderr"] as const) {
      const source = child[stream];
      if (source !== null) createInterface({ input: source }).on("line", (line) => spec.onLog(line, stream));
    }
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.killGroup("SIGKILL"); // whatever the agent spawned goes with it
        resolve({ code, signal });
      });
    });
    child.on("message", (message: FromAgent) => {
      if (message.type === "failed") this.failure = message.message;
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromAgent): void => {
        if (message.type === "idle") this.send({ type: "start", bundle: this.spec.bundle, function: this.spec.functionName, socket: this.socket, env: this.spec.env });
        else if (message.type === "ready") done(undefined);
        else if (message.type === "failed") done(message.message);
      };
      const onExit = (code: number | null): void => done(this.failure ?? `the container exited during startup (code ${code})`);
      const done = (problem: string | undefined): void => {
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
        if (problem === undefined) resolve();
        else {
          this.killGroup("SIGKILL");
          reject(new WharfError("CONTAINER_FAILED", `${this.spec.functionName}: ${problem}`));
        }
      };
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
    });
  }

  async stop(graceMs: number): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.send({ type: "stop", graceMs });
      const timer = setTimeout(() => this.killGroup("SIGKILL"), graceMs + 2000);
      await this.exited;
      clearTimeout(timer);
    }
    this.killGroup("SIGKILL");
    rmSync(this.socket, { force: true });
  }

  private send(message: ToAgent): void {
    if (this.child.connected) this.child.send(message);
  }

  private killGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // the group is already gone
    }
  }
}

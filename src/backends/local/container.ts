/**
 * One local container: a runtime agent process, first idle (standby), then assigned a function.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { WharfError } from "../../sdk/errors.ts";
import type { FromAgent, ServedRecord, ToAgent } from "../../runtime/protocol.ts";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import type { ContainerHandle, ContainerSpec, Handoff } from "../backend.ts";
import { MemoryCgroup } from "./cgroup.ts";
import { childrenOf, sandboxCommand, sandboxedExit, type SandboxSpec } from "./sandbox.ts";

type Exit = { code: number | null; signal: string | null };

type LogSink = (line: string, stream: "stdout" | "stderr") => void;

export interface IdleAgent {
  child: ChildProcess;
  /** Resolves once the agent has warmed up and waits for work. */
  idle: Promise<void>;
  exited: Promise<Exit>;
  kill(): void;
  /** Where its output goes from now on; lines written before (a prepared import's) are replayed. */
  attachLogs(sink: LogSink): void;
  /** The Unix socket it serves on. */
  socket: string;
  /** The host pids a memory limit must hold once the agent runs: the agent itself and, in the sandbox, its init (not `child.pid`, which is bubblewrap's monitor). */
  agentPids(): Promise<number[]>;
}

export interface AgentPlacement {
  /** The environment the agent starts with (its WHARF_ variables added); the agent removes those before it runs user code. */
  env: Readonly<Record<string, string | undefined>>;
  /** Own network namespace (`unshare --net`, or the sandbox's). */
  isolated: boolean;
  /** The Unix socket the agent listens on from the start. */
  socket: string;
  /** With a mount namespace (no sandbox): the directory of all sockets, hidden from the agent once it listens. */
  hideDir: string | undefined;
  /** Runs the agent in the sandbox (sandbox.ts): everything but `argv` and `infoFd`. */
  sandbox?: Omit<SandboxSpec, "argv" | "infoFd">;
}

/** The sandbox's info pipe (fd 4 of the spawned process): bubblewrap writes the agent's host pid there. */
const INFO_FD = 4;

/** Starts an agent in its own process group (and namespaces, per `placement`). */
export function spawnAgent(agentPath: string, placement: AgentPlacement): IdleAgent {
  // No --enable-source-maps: it parses dist/agent.js.map in every container (~2 MiB resident)
  // for our own stack frames only; user bundles carry no source map.
  const node = [process.execPath, agentPath];
  const env: NodeJS.ProcessEnv = { ...placement.env, WHARF_SOCKET: placement.socket };
  let child: ChildProcess;
  if (placement.sandbox !== undefined) {
    // bubblewrap brings the namespace's loopback up itself.
    // bubblewrap sets PWD; the agent drops it again when the environment it was given had none.
    if (placement.env["PWD"] === undefined) env["WHARF_UNSET_PWD"] = "1";
    const { file, args } = sandboxCommand({ ...placement.sandbox, infoFd: INFO_FD, argv: node });
    child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe", "ipc", "pipe"], detached: true });
  } else {
    if (placement.isolated) env["WHARF_NETNS"] = "1";
    if (placement.hideDir !== undefined) env["WHARF_HIDE_DIR"] = placement.hideDir;
    const namespaces = placement.hideDir !== undefined ? ["--net", "--mount"] : ["--net"];
    child = placement.isolated
      ? spawn("unshare", [...namespaces, "--", ...node], { env, stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true })
      : spawn(process.execPath, node.slice(1), { env, stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true });
  }
  const initPid = placement.sandbox === undefined ? undefined : sandboxedPid(child);
  const agentPids = async (): Promise<number[]> => {
    if (initPid === undefined) return child.pid === undefined ? [] : [child.pid];
    const init = await initPid;
    return init < 0 ? [] : [init, ...childrenOf(init)];
  };
  // "close", not "exit": the agent's last log lines (exit hooks) arrive before we call it gone.
  child.on("error", () => {}); // spawn and channel errors surface as the exit below
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => resolve(placement.sandbox === undefined ? { code, signal } : sandboxedExit(code, signal))),
  );
  const idle = new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromAgent): void => {
      if (m.type !== "idle") return;
      child.off("message", onMessage);
      resolve();
    };
    child.on("message", onMessage);
    void exited.then(() => reject(new Error("the runtime agent exited before it was ready")));
  });
  idle.catch(() => {});
  const kill = (): void => killGroup(child.pid, "SIGKILL");
  // Whatever the agent spawned goes with it (and so releases the log pipes it inherited).
  child.once("exit", kill);
  // Read output from the start, so a standby's pipe never fills; keep it until someone listens.
  const backlog: [string, "stdout" | "stderr"][] = [];
  let sink: LogSink | undefined;
  for (const stream of ["stdout", "stderr"] as const) {
    const source = child[stream];
    if (source === null) continue;
    createInterface({ input: source }).on("line", (line) => {
      if (sink !== undefined) sink(line, stream);
      else if (backlog.length < 1000) backlog.push([line, stream]);
    });
  }
  const attachLogs = (next: LogSink): void => {
    sink = next;
    for (const [line, stream] of backlog.splice(0)) next(line, stream);
  };
  return { child, idle, exited, kill, attachLogs, socket: placement.socket, agentPids };
}

/** The sandbox init's host pid, from bubblewrap's info pipe (-1 if it never says: the sandbox failed to start). */
function sandboxedPid(child: ChildProcess): Promise<number> {
  const info = child.stdio[INFO_FD] as Readable | null | undefined;
  if (info === null || info === undefined) return Promise.resolve(-1);
  return new Promise((resolve) => {
    let text = "";
    info.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const pid = /"child-pid":\s*(\d+)/.exec(text)?.[1];
      if (pid !== undefined) resolve(Number(pid));
    });
    info.on("error", () => resolve(-1));
    info.on("close", () => resolve(-1));
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** How long a container may take to start: `WHARF_STARTUP_TIMEOUT` seconds, default 300. */
function startupDeadlineMs(): number {
  const seconds = Number(process.env["WHARF_STARTUP_TIMEOUT"] ?? "300");
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 300) * 1000;
}

export class LocalContainer implements ContainerHandle {
  readonly id: string;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly cgroup: MemoryCgroup | undefined;
  private killedForMemory = false;
  private failure: string | undefined;
  /** Handed-over connections still open in the container, by id: each settles its `adopt()`. */
  private readonly adopted = new Map<number, () => void>();
  /** Where each handed-over connection's served-request records go (the gateway's request log). */
  private readonly servedTo = new Map<number, (record: ServedRecord) => void>();
  private nextAdopted = 0;

  readonly address: { socketPath: string };

  constructor(private readonly spec: ContainerSpec, private readonly agent: IdleAgent, private readonly socket: string, memoryMiB: number | null) {
    this.address = { socketPath: socket };
    this.id = spec.id;
    this.child = agent.child;
    this.pid = agent.child.pid ?? -1;
    this.exited = agent.exited;
    agent.attachLogs((line, stream) => spec.onLog(line, stream));
    this.child.on("message", (message: FromAgent) => {
      if (message.type === "failed") this.failure = message.message;
      else if (message.type === "released") this.settle(message.id);
      else if (message.type === "served") for (const { id, record } of message.records) this.servedTo.get(id)?.(record);
    });
    this.cgroup = memoryMiB === null ? undefined : new MemoryCgroup(spec.id, memoryMiB);
    void this.exited.then(() => {
      for (const id of [...this.adopted.keys()]) this.settle(id);
      rmSync(this.socket, { force: true });
      // Read why it died before the group (and its OOM counter) is removed.
      if (this.cgroup?.oomKilled() === true) this.killedForMemory = true;
      void this.cgroup?.remove();
    });
  }

  exitReason(): string | undefined {
    if (this.killedForMemory || this.cgroup?.oomKilled() === true) return `killed: over its memory limit of ${this.cgroup?.limitMiB ?? 0} MiB`;
    return undefined;
  }

  async ready(): Promise<void> {
    try {
      await this.agent.idle;
      // Before the function starts: what it allocates counts against its limit from the start.
      if (this.cgroup !== undefined) for (const pid of await this.agent.agentPids()) this.cgroup.add(pid);
    } catch {
      throw new WharfError("CONTAINER_FAILED", `${this.spec.functionName}: the runtime agent exited before it was ready`, { kind: "system" });
    }
    this.send({ type: "start", bundle: this.spec.bundle, function: this.spec.functionName, socket: this.socket, cwd: this.spec.cwd, env: this.spec.env });
    const problem = await new Promise<string | undefined>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        resolve(this.failure ?? `the container of ${this.spec.functionName} exited before it started`);
        return;
      }
      const onMessage = (message: FromAgent): void => {
        if (message.type === "ready") done(undefined);
        else if (message.type === "failed") done(message.message);
      };
      const onExit = (code: number | null, signal: string | null): void =>
        done(this.failure ?? this.exitReason() ?? `the container of ${this.spec.functionName} exited during startup (${signal ?? `code ${code}`})`);
      // A start that never ends (an `enter` hook or factory that hangs) must not hold up the
      // platform (a deploy waits for it): it fails after the startup deadline.
      const deadline = startupDeadlineMs();
      const timer = setTimeout(
        () => done(`${this.spec.functionName} did not finish starting within ${deadline / 1000}s (its enter hooks and factory): make them finish sooner, or raise WHARF_STARTUP_TIMEOUT (seconds)`),
        deadline,
      );
      const done = (result: string | undefined): void => {
        clearTimeout(timer);
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
        resolve(result);
      };
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
    });
    if (problem !== undefined) {
      this.agent.kill();
      // The agent's messages already name the function.
      throw new WharfError("CONTAINER_FAILED", problem);
    }
  }

  async stop(graceMs: number): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.send({ type: "stop", graceMs });
      const timer = setTimeout(() => this.agent.kill(), graceMs + 2000);
      await this.exited;
      clearTimeout(timer);
    }
    this.agent.kill();
    await this.cgroup?.remove();
  }

  adopt(socket: Socket, handoff: Handoff, served?: (record: ServedRecord) => void): Promise<void> {
    const id = ++this.nextAdopted;
    if (served !== undefined) this.servedTo.set(id, served);
    return new Promise<void>((resolve) => {
      if (!this.child.connected) {
        socket.destroy();
        resolve();
        return;
      }
      this.adopted.set(id, resolve);
      // The handle crosses the IPC socketpair (SCM_RIGHTS): the container's own network namespace
      // does not matter, the socket stays in the gateway's. Node closes our copy once it is sent.
      this.child.send({ ...handoff, type: "adopt", id, head: handoff.head.toString("base64") } satisfies ToAgent, socket, (err) => {
        if (err === null) return;
        socket.destroy();
        this.settle(id);
      });
    });
  }

  drainAdopted(): void {
    if (this.adopted.size > 0) this.send({ type: "drain-adopted" });
  }

  private settle(id: number): void {
    const done = this.adopted.get(id);
    this.adopted.delete(id);
    this.servedTo.delete(id);
    done?.();
  }

  private send(message: ToAgent): void {
    // The agent may be exiting: a broken channel is not an error here, its exit is handled.
    if (this.child.connected) this.child.send(message, () => {});
  }
}

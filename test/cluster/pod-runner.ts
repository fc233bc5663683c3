/**
 * One pod on the test cluster's node: its containers as OS processes inside the pod's network
 * namespace, restarted per `restartPolicy`, readiness from the pod's HTTP readiness probes, and a
 * graceful stop (preStop, SIGTERM, then SIGKILL after the grace period) — the parts of a kubelet
 * the Wharf backend depends on. Images are not pulled: the command runs on the host's filesystem,
 * with `/opt/wharf/` mapped to the repository checkout and `node` to this Node.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { V1Container, V1ContainerStatus, V1Pod, V1PodStatus } from "@kubernetes/client-node";
import type { PodNet } from "./pod-network.ts";

export interface RunnerContext {
  runtimeRoot: string;
  logDir: string;
  nodeName: string;
  hostIP: string;
  /** Values of the pod's secretKeyRef env entries, by `secret/key` (read by the node agent). */
  secrets: Map<string, string>;
  /** Called whenever the status changes; the agent writes it to the API server. */
  report(status: V1PodStatus): void;
}

interface Running {
  spec: V1Container;
  child: ChildProcess | undefined;
  ready: boolean;
  restarts: number;
  startedAt: Date | undefined;
  lastExit: { code: number | null; signal: string | null; at: Date } | undefined;
  probe: NodeJS.Timeout | undefined;
  failures: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class PodRunner {
  private readonly containers: Running[];
  private stopping = false;
  private readonly startTime = new Date();

  constructor(private readonly pod: V1Pod, private readonly net: PodNet, private readonly ctx: RunnerContext) {
    this.containers = (pod.spec?.containers ?? []).map((spec) => ({ spec, child: undefined, ready: false, restarts: 0, startedAt: undefined, lastExit: undefined, probe: undefined, failures: 0 }));
  }

  get ip(): string {
    return this.net.ip;
  }

  start(): void {
    for (const c of this.containers) this.launch(c);
    this.publish();
  }

  private launch(c: Running): void {
    const argv = [...(c.spec.command ?? []), ...(c.spec.args ?? [])].map((a) => this.mapPath(a));
    const [program, ...rest] = argv;
    if (program === undefined) {
      c.lastExit = { code: 127, signal: null, at: new Date() };
      this.publish();
      return;
    }
    const exe = program === "node" ? process.execPath : program;
    mkdirSync(this.ctx.logDir, { recursive: true });
    const log = createWriteStream(join(this.ctx.logDir, `${this.pod.metadata?.namespace}_${this.pod.metadata?.name}_${c.spec.name}.log`), { flags: "a" });
    const child = spawn("ip", ["netns", "exec", this.net.namespace, exe, ...rest], {
      cwd: c.spec.workingDir !== undefined ? this.mapPath(c.spec.workingDir) : this.ctx.runtimeRoot,
      env: this.env(c.spec),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.on("error", () => {});
    c.child = child;
    c.startedAt = new Date();
    c.ready = c.spec.readinessProbe === undefined;
    child.once("exit", (code, signal) => void this.exited(c, code, signal));
    this.watchReadiness(c);
  }

  private async exited(c: Running, code: number | null, signal: string | null): Promise<void> {
    c.child = undefined;
    c.ready = false;
    c.lastExit = { code, signal, at: new Date() };
    if (c.probe !== undefined) clearInterval(c.probe);
    this.publish();
    if (this.stopping) return;
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    if (policy === "Never" || (policy === "OnFailure" && code === 0)) return;
    c.restarts++;
    await sleep(Math.min(10_000, 500 * 2 ** Math.min(c.restarts - 1, 5)));
    if (!this.stopping) {
      this.launch(c);
      this.publish();
    }
  }

  private watchReadiness(c: Running): void {
    const probe = c.spec.readinessProbe;
    const http = probe?.httpGet;
    if (probe === undefined || http === undefined) return;
    const port = typeof http.port === "number" ? http.port : Number(c.spec.ports?.find((p) => p.name === http.port)?.containerPort ?? http.port);
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const tick = (): void => {
      const req = request({ host: this.net.ip, port, path: http.path ?? "/", method: "GET", timeout: (probe.timeoutSeconds ?? 1) * 1000 }, (res) => {
        res.resume();
        this.probed(c, (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400, probe.failureThreshold ?? 3);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => this.probed(c, false, probe.failureThreshold ?? 3));
      req.end();
    };
    setTimeout(() => {
      if (c.child === undefined) return;
      tick();
      c.probe = setInterval(tick, period);
    }, (probe.initialDelaySeconds ?? 0) * 1000);
    // Until the first period passes, look more often: a cold start should not wait a whole period.
    for (const ms of [100, 250, 500]) setTimeout(() => c.child !== undefined && !c.ready && tick(), ms + (probe.initialDelaySeconds ?? 0) * 1000);
  }

  private probed(c: Running, ok: boolean, threshold: number): void {
    if (c.child === undefined || this.stopping) return;
    c.failures = ok ? 0 : c.failures + 1;
    const ready = ok ? true : c.failures >= threshold ? false : c.ready;
    if (ready !== c.ready) {
      c.ready = ready;
      this.publish();
    }
  }

  /** preStop, SIGTERM, and SIGKILL past the grace period; resolves once every process is gone. */
  async stop(graceSeconds: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of this.containers) c.ready = false;
    this.publish();
    const deadline = Date.now() + graceSeconds * 1000;
    await Promise.all(this.containers.map((c) => this.stopOne(c, deadline)));
  }

  private async stopOne(c: Running, deadline: number): Promise<void> {
    if (c.probe !== undefined) clearInterval(c.probe);
    const child = c.child;
    if (child === undefined) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const preStop = c.spec.lifecycle?.preStop?.exec?.command;
    if (preStop !== undefined && preStop.length > 0) {
      const hook = spawn("ip", ["netns", "exec", this.net.namespace, ...preStop.map((a) => this.mapPath(a))], { stdio: "ignore", env: this.env(c.spec) });
      await Promise.race([new Promise((resolve) => hook.once("exit", resolve)), sleep(Math.max(0, deadline - Date.now()))]);
    }
    signalGroup(child, "SIGTERM");
    await Promise.race([gone, sleep(Math.max(0, deadline - Date.now()))]);
    signalGroup(child, "SIGKILL");
    await gone;
  }

  /** Kills every process at once (the pod was force-deleted, or the agent is stopping). */
  kill(): void {
    this.stopping = true;
    for (const c of this.containers) if (c.child !== undefined) signalGroup(c.child, "SIGKILL");
  }

  private mapPath(arg: string): string {
    return arg.startsWith("/opt/wharf/") ? join(this.ctx.runtimeRoot, arg.slice("/opt/wharf/".length)) : arg;
  }

  private env(spec: V1Container): NodeJS.ProcessEnv {
    const meta = this.pod.metadata ?? {};
    const field: Record<string, string | undefined> = {
      "metadata.name": meta.name,
      "metadata.namespace": meta.namespace,
      "metadata.uid": meta.uid,
      "spec.nodeName": this.ctx.nodeName,
      "status.podIP": this.net.ip,
      "status.hostIP": this.ctx.hostIP,
    };
    const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/tmp", HOSTNAME: meta.name ?? "" };
    for (const e of spec.env ?? []) {
      const path = e.valueFrom?.fieldRef?.fieldPath;
      const secret = e.valueFrom?.secretKeyRef;
      const fromSecret = secret === undefined ? undefined : this.ctx.secrets.get(`${secret.name ?? ""}/${secret.key}`);
      env[e.name] = e.value ?? (path !== undefined ? field[path] : undefined) ?? fromSecret ?? "";
    }
    return env;
  }

  private publish(): void {
    const statuses: V1ContainerStatus[] = this.containers.map((c) => ({
      name: c.spec.name,
      image: c.spec.image ?? "",
      imageID: "",
      ready: c.ready,
      restartCount: c.restarts,
      started: c.child !== undefined,
      state: c.child !== undefined
        ? { running: { startedAt: c.startedAt ?? new Date() } }
        : c.lastExit !== undefined
          ? { terminated: { exitCode: c.lastExit.code ?? 128 + signalNumber(c.lastExit.signal), finishedAt: c.lastExit.at, reason: c.lastExit.code === 0 ? "Completed" : "Error" } }
          : { waiting: { reason: "ContainerCreating" } },
    }));
    const allReady = statuses.length > 0 && statuses.every((s) => s.ready);
    const running = this.containers.some((c) => c.child !== undefined);
    const now = new Date();
    const condition = (type: string, ok: boolean) => ({ type, status: ok ? "True" : "False", lastTransitionTime: now });
    this.ctx.report({
      phase: running || !this.stopping ? "Running" : "Succeeded",
      hostIP: this.ctx.hostIP,
      podIP: this.net.ip,
      podIPs: [{ ip: this.net.ip }],
      startTime: this.startTime,
      conditions: [condition("PodScheduled", true), condition("Initialized", true), condition("ContainersReady", allReady), condition("Ready", allReady)],
      containerStatuses: statuses,
    });
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function signalNumber(signal: string | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 0;
}

/**
 * One running version of an app: a pool per function with its containers, and the gateway
 * endpoints that point at them. A new version starts fully before the route table flips to it;
 * the old one then drains and stops.
 */
import { Pool, type Member } from "../autoscaler/pool.ts";
import type { Backend, ContainerHandle } from "../backends/backend.ts";
import type { GatewayEndpoint } from "../gateway/gateway.ts";
import type { FunctionManifest, Manifest } from "../runtime/manifest.ts";
import type { PlannedEndpoint } from "./plan.ts";

export interface VersionOptions {
  backend: Backend;
  bundle: string;
  cwd: string;
  manifest: Manifest;
  planned: PlannedEndpoint[];
  /** Container log lines, by function name. */
  onLog(fn: string, line: string, stream: "stdout" | "stderr"): void;
  /** Lifecycle events worth a log line (container started, stopped, crashed). */
  onEvent(message: string): void;
}

let nextId = 0;

export class Version {
  readonly endpoints: GatewayEndpoint[];
  private readonly pools = new Map<string, Pool>();
  private readonly containers = new Map<ContainerHandle, { pool: Pool; member: Member }>();
  private stopped = false;

  constructor(private readonly options: VersionOptions) {
    for (const fn of options.manifest.functions) this.pools.set(fn.name, new Pool(fn.name, fn.options.maxInputs));
    this.endpoints = options.planned.map((p) => ({
      name: p.name,
      label: p.label,
      customDomains: p.customDomains,
      kind: p.endpoint.kind,
      method: p.endpoint.method,
      requiresProxyAuth: p.endpoint.requiresProxyAuth,
      timeoutMs: p.fn.options.timeout * 1000,
      pool: this.poolOf(p.fn.name),
    }));
  }

  /** Starts one container per function; rejects (stopping what started) if any fails. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.options.manifest.functions.map((fn) => this.startContainer(fn)));
    } catch (err) {
      await this.stop(0);
      throw err;
    }
  }

  private poolOf(name: string): Pool {
    const pool = this.pools.get(name);
    if (pool === undefined) throw new Error(`no pool for ${name}`);
    return pool;
  }

  private async startContainer(fn: FunctionManifest): Promise<void> {
    const pool = this.poolOf(fn.name);
    const handle = await this.options.backend.start({
      id: `c${++nextId}-${process.pid}`,
      functionName: fn.name,
      bundle: this.options.bundle,
      env: fn.options.env,
      cwd: this.options.cwd,
      onLog: (line, stream) => this.options.onLog(fn.name, line, stream),
    });
    const member = pool.add(handle);
    this.containers.set(handle, { pool, member });
    void handle.exited.then(({ code, signal }) => {
      this.containers.delete(handle);
      if (this.stopped || member.draining) return;
      pool.remove(member);
      this.options.onEvent(`container of ${fn.name} exited unexpectedly (${signal ?? `code ${code}`}); starting a replacement`);
      this.startContainer(fn).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.options.onEvent(`could not replace the container of ${fn.name}: ${message}`);
        pool.fail(new Error(message));
      });
    });
  }

  /** Drains and stops every container: in-flight requests get up to `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    const all = [...this.containers.entries()];
    for (const [, { pool, member }] of all) pool.remove(member);
    await Promise.all(
      all.map(async ([handle, { member }]) => {
        await handle.stop(graceMs);
        await member.client.destroy();
      }),
    );
  }
}

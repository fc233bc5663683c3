/**
 * One running version of an app: a scaler (pool + policy loop) per function, and the gateway
 * endpoints that point at them. A new version starts its first containers before the route
 * table flips to it; the old one then drains and stops.
 */
import { Scaler, startFailureLine, startFailureReason, type StopReason } from "../autoscaler/scaler.ts";
import type { Backend } from "../backends/backend.ts";
import type { GatewayEndpoint } from "../gateway/gateway.ts";
import type { FunctionManifest, Manifest } from "../runtime/manifest.ts";
import { WharfError } from "../sdk/errors.ts";
import type { PlannedEndpoint } from "./plan.ts";
import type { StartReason } from "../autoscaler/scaler.ts";

/** Container lifecycle events of a version, by function (dashboard and metrics). */
export interface ContainerObserver {
  started(fn: string, id: string, ms: number, reason: StartReason): void;
  exited(fn: string, id: string, reason: StopReason): void;
}

export interface VersionOptions {
  backend: Backend;
  bundle: string;
  cwd: string;
  manifest: Manifest;
  planned: PlannedEndpoint[];
  /** Requests allowed to wait per function beyond its containers' capacity. */
  maxQueue: number;
  /** Milliseconds in-flight requests get when their container stops. */
  graceMs: number;
  /** Container log lines, by function name. */
  onLog(fn: string, line: string, stream: "stdout" | "stderr"): void;
  /** Lifecycle events worth a log line (container started, stopped, crashed). */
  onEvent(message: string): void;
  containers?: ContainerObserver | undefined;
  /** The version's number, when it is known before it starts (a server's deploy): backends that name objects per version use it. */
  number?: number | undefined;
  /**
   * The environment a new container of `fn` gets on top of the backend's, asked at each container
   * start (a server's secrets, read then; `.env` under serve). Default: the function's `env`.
   */
  envOf?: ((fn: FunctionManifest) => Record<string, string>) | undefined;
}

/** How long a replaced or stopped version's in-flight requests may take before its containers stop. */
export const DRAIN_GRACE_MS = 30_000;

let nextId = 0;

export class Version {
  readonly endpoints: GatewayEndpoint[];
  readonly scalers = new Map<string, Scaler>();

  constructor(private readonly options: VersionOptions) {
    for (const fn of options.manifest.functions) {
      // Without a network namespace per container, two containers cannot bind one webServer port.
      const sharedNetwork = !options.backend.networkIsolation && fn.endpoints.some((e) => e.kind === "webServer");
      const fnOptions = sharedNetwork ? { ...fn.options, maxContainers: 1, minContainers: Math.min(1, fn.options.minContainers) } : fn.options;
      const scaler = new Scaler(fn.name, fnOptions, {
        graceMs: options.graceMs,
        maxQueue: options.maxQueue,
        onEvent: options.onEvent,
        onStarted: (id, ms, reason) => options.containers?.started(fn.name, id, ms, reason),
        onExit: (id, reason) => options.containers?.exited(fn.name, id, reason),
        start: async () =>
          options.backend.start({
            id: `c${++nextId}`,
            functionName: fn.name,
            app: { name: options.manifest.app, version: options.number ?? 0, function: fn },
            bundle: options.bundle,
            env: this.envOf(fn),
            cwd: options.cwd,
            memoryMiB: fn.options.memory,
            onLog: (line, stream) => options.onLog(fn.name, line, stream),
          }),
      });
      this.scalers.set(fn.name, scaler);
    }
    this.endpoints = options.planned.map((p) => ({
      name: p.name,
      app: options.manifest.app,
      label: p.label,
      customDomains: p.customDomains,
      kind: p.endpoint.kind,
      method: p.endpoint.method,
      requiresProxyAuth: p.endpoint.requiresProxyAuth,
      timeoutMs: p.fn.options.timeout * 1000,
      pool: this.scalerOf(p.fn.name).pool,
    }));
  }

  get app(): string {
    return this.options.manifest.app;
  }

  /** Each endpoint with its function and whether it serves /docs (the dashboard). */
  endpointViews(): { name: string; label: string; function: string; kind: string; docs: boolean }[] {
    return this.options.planned.map((p) => ({ name: p.name, label: p.label, function: p.fn.name, kind: p.endpoint.kind, docs: p.endpoint.docs }));
  }

  status(): { app: string; functions: ReturnType<Scaler["status"]>[] } {
    return { app: this.options.manifest.app, functions: [...this.scalers.values()].map((s) => s.status()) };
  }

  /**
   * Starts each function's first containers. By default a failure rejects (stopping what
   * started: a deploy changes nothing). With `isolate` (wharf serve) the version starts anyway:
   * each function that failed answers 503 with its reason and retries with backoff, and the
   * failures are returned, one per function, so they are reported once.
   */
  async start(options: { isolate?: boolean } = {}): Promise<{ name: string; line: string }[]> {
    const scalers = [...this.scalers.values()];
    // Every function's start settles before a failure stops the version, so none is left behind.
    const results = await Promise.allSettled(scalers.map((s) => s.startInitial()));
    const failures = results.flatMap((r, i) => {
      const scaler = scalers[i];
      if (r.status === "fulfilled" || scaler === undefined) return [];
      const reason = startFailureReason(scaler.name, r.reason);
      return [{ scaler, reason, line: startFailureLine(scaler.name, reason), cause: r.reason as unknown }];
    });
    const first = failures[0];
    if (first !== undefined && options.isolate !== true) {
      await this.stop("reload");
      throw new WharfError("START_FAILED", first.line, { cause: first.cause });
    }
    for (const f of failures) f.scaler.failedToStart(f.reason);
    // Standby runtimes may import this bundle ahead of time, unless a function's env (or secrets,
    // or .env) must be in place before its module's top-level code runs.
    const envFree = this.options.manifest.functions.every((f) => (f.options.secrets ?? []).length === 0 && Object.keys(this.envOf(f)).length === 0);
    this.options.backend.prepare?.(envFree ? this.options.bundle : undefined);
    return failures.map((f) => ({ name: f.scaler.name, line: f.line }));
  }

  private envOf(fn: FunctionManifest): Record<string, string> {
    return this.options.envOf === undefined ? fn.options.env : this.options.envOf(fn);
  }

  private scalerOf(name: string): Scaler {
    const scaler = this.scalers.get(name);
    if (scaler === undefined) throw new Error(`no scaler for ${name}`);
    return scaler;
  }

  /** Drains and stops every container (in-flight requests get the grace period). */
  async stop(reason: StopReason, graceMs = this.options.graceMs): Promise<void> {
    await Promise.all([...this.scalers.values()].map((s) => s.stop(reason, graceMs)));
    if (this.options.number !== undefined) {
      await this.options.backend.releaseVersion?.(this.options.manifest.app, this.options.number).catch((err: unknown) => {
        this.options.onEvent(`could not remove what the backend kept for ${this.options.manifest.app} v${this.options.number}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  }
}

/**
 * The control plane of `wharf server`: deploys, rollbacks and stops of apps, each one a Version
 * (see version.ts), all served by one gateway through one route table merged over every running
 * app. A change goes check → start → flip routes → record (one transaction) → drain the old
 * version, one change at a time; a change that fails anywhere leaves the running version alone.
 */
import { rmSync } from "node:fs";
import type { Backend } from "../backends/backend.ts";
import { checkBundle } from "../build/check.ts";
import type { GatewayEndpoint } from "../gateway/gateway.ts";
import { buildRouteTable, type RouteTable } from "../gateway/route-table.ts";
import type { FunctionManifest, Manifest } from "../runtime/manifest.ts";
import { APP_NAME } from "../sdk/app.ts";
import { WharfError } from "../sdk/errors.ts";
import { AppLogs } from "./app-logs.ts";
import { parseManifest } from "./manifest-schema.ts";
import { covers } from "./certificates.ts";
import { planEndpoints, type PlannedEndpoint } from "./plan.ts";
import { missingSecret, Secrets, type SecretInfo } from "./secrets.ts";
import type { Store, VersionRow } from "./store.ts";
import { Version } from "./version.ts";
import type { Telemetry } from "../observe/telemetry.ts";

export interface PlatformOptions {
  store: Store;
  backend: Backend;
  routes: { setRoutes(table: RouteTable<GatewayEndpoint>): void };
  /** The runtime agent (dist/agent.js): checks bundles and runs containers. */
  agentPath: string;
  /** Working directory of every container and of the checker. */
  cwd: string;
  /** The checker's whole environment (default: what the backend's containers start from, else this process's). */
  checkerEnv?: Readonly<Record<string, string | undefined>>;
  domain: string;
  /** The gateway's port, for the URLs printed (omitted when 80). */
  port: number;
  maxQueue: number;
  graceMs: number;
  /** Lifecycle events worth a server log line. */
  onEvent(message: string): void;
  /** Container log lines, by app and function. */
  onLog(app: string, fn: string, line: string, stream: "stdout" | "stderr"): void;
  /** Where each app's container logs are kept on disk (size-capped); none: in memory only. */
  logsDir?: string;
  /** Where logs, cold starts and container exits are counted for the dashboard and metrics. */
  telemetry?: Telemetry;
}

export interface DeployResult {
  app: string;
  version: number;
  endpoints: { name: string; url: string; customDomains: string[] }[];
}

export interface AppSummary {
  name: string;
  /** The active version, or the latest one when the app is stopped. */
  version: number | null;
  endpoints: string[];
  /** Every custom domain of the running version's endpoints. */
  customDomains: string[];
  /** `failed`: recorded as active but it could not be started (see `error`). */
  state: "active" | "stopped" | "failed";
  error: string | null;
}

interface Running {
  row: VersionRow;
  version: Version;
}

/** A secret as `secret list` shows it: its keys and who uses it, never a value. */
export interface SecretSummary extends SecretInfo {
  /** `app/function` of every active version's function that names it. */
  usedBy: string[];
}


export class Platform {
  readonly logs: AppLogs;
  private readonly running = new Map<string, Running>();
  private readonly failed = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly secrets: Secrets;

  constructor(private readonly options: PlatformOptions) {
    this.logs = new AppLogs(undefined, options.logsDir);
    this.secrets = new Secrets(options.store);
    options.routes.setRoutes(this.table());
  }

  /** Checks, plans and starts a bundle as a new version of its app (or of `name`). */
  deploy(contents: Buffer, name?: string): Promise<DeployResult> {
    return this.exclusive(async () => {
      if (name !== undefined && !APP_NAME.test(name)) throw new WharfError("APP_NAME_INVALID", `app name ${JSON.stringify(name)} is invalid: use 1..40 characters of [a-z0-9-]`);
      const { store } = this.options;
      const staged = store.stageBundle(contents);
      let manifest: Manifest;
      try {
        manifest = await checkBundle(this.options.agentPath, staged.tempPath, this.options.cwd, this.options.backend, undefined, this.options.checkerEnv);
      } catch (err) {
        rmSync(staged.tempPath, { force: true });
        throw err;
      }
      const path = store.commitBundle(staged);
      return this.launch(name === undefined ? manifest : { ...manifest, app: name }, staged.hash, path, "deploy");
    });
  }

  /** Redeploys the stored bundle of `number`, or of the version before the current one, as a new version. */
  rollback(app: string, number?: number): Promise<DeployResult> {
    return this.exclusive(async () => {
      const history = this.historyOf(app);
      const current = history.find((v) => v.status === "active") ?? history.at(-1);
      const target = number === undefined ? history.filter((v) => current !== undefined && v.number < current.number).at(-1) : history.find((v) => v.number === number);
      if (target === undefined) {
        throw new WharfError("VERSION_NOT_FOUND", number === undefined ? `app ${app} has no version before v${current?.number ?? 0} to roll back to: see wharf app history ${app}` : `app ${app} has no version ${number}: see wharf app history ${app}`);
      }
      const path = this.options.store.verifiedBundle(target.bundleHash);
      return this.launch(parseManifest(JSON.parse(target.manifest)), target.bundleHash, path, `rollback to v${target.number}`);
    });
  }

  /** Takes the app's routes down, records it stopped, and resolves once its containers drained. */
  async stop(app: string): Promise<void> {
    const running = await this.exclusive(async () => {
      this.historyOf(app);
      const running = this.running.get(app);
      if (running === undefined && this.options.store.activeVersion(app) === undefined) throw new WharfError("APP_STOPPED", `app ${app} is already stopped: deploy it, or roll it back, to start it again`);
      this.running.delete(app);
      this.failed.delete(app);
      this.flip();
      this.options.store.stopApp(app);
      this.options.onEvent(`${app}: stopped`);
      return running;
    });
    // Outside the lock: a long drain does not hold up other changes.
    await running?.version.stop("reload");
  }

  /** Starts every app's last active version (at server start). Failures are reported, not thrown. */
  restore(): Promise<{ app: string; result?: DeployResult; error?: string }[]> {
    return this.exclusive(async () => {
      const outcomes: { app: string; result?: DeployResult; error?: string }[] = [];
      for (const app of this.options.store.apps()) {
        const row = this.options.store.activeVersion(app);
        if (row === undefined) continue;
        try {
          const path = this.options.store.verifiedBundle(row.bundleHash);
          const manifest = parseManifest(JSON.parse(row.manifest));
          this.checkSecrets(manifest);
          const version = await this.startVersion(manifest, path, this.plan(manifest), row.number);
          this.running.set(app, { row, version });
          this.flip();
          outcomes.push({ app, result: this.result(row, version) });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.failed.set(app, message);
          outcomes.push({ app, error: message });
        }
      }
      return outcomes;
    });
  }

  list(): AppSummary[] {
    const { store } = this.options;
    return store.apps().map((name) => {
      const running = this.running.get(name);
      const active = store.activeVersion(name);
      const latest = active ?? store.history(name).at(-1);
      return {
        name,
        version: latest?.number ?? null,
        endpoints: running === undefined ? [] : running.version.endpoints.map((e) => this.url(e.label)),
        customDomains: running === undefined ? [] : running.version.endpoints.flatMap((e) => e.customDomains),
        state: running !== undefined ? "active" : active !== undefined ? "failed" : "stopped",
        error: this.failed.get(name) ?? null,
      };
    });
  }

  /** Every version of an app, oldest first; an unknown app is a user error. */
  historyOf(app: string): VersionRow[] {
    const history = this.options.store.history(app);
    if (history.length === 0) throw new WharfError("APP_NOT_FOUND", `no app named ${app} on this server: see wharf app list`);
    return history;
  }

  /** The running versions with their labels (`v3`), for the dashboard. */
  versions(): { version: Version; label: string }[] {
    return [...this.running.values()].map((r) => ({ version: r.version, label: `v${r.row.number}` }));
  }

  /** Every app's versions, newest first. */
  deployHistory(): { app: string; number: number; created: number; status: string; note: string }[] {
    const { store } = this.options;
    return store
      .apps()
      .flatMap((app) => store.history(app).map((v) => ({ app, number: v.number, created: v.created, status: v.status, note: v.note })))
      .sort((a, b) => b.created - a.created || b.number - a.number);
  }

  status(): { versions: ReturnType<Version["status"]>[] } {
    return { versions: [...this.running.values()].map((r) => r.version.status()) };
  }

  /** The functions of an app's latest version. */
  functionsOf(app: string): string[] {
    const row = this.options.store.activeVersion(app) ?? this.options.store.history(app).at(-1);
    return row === undefined ? [] : parseManifest(JSON.parse(row.manifest)).functions.map((f) => f.name);
  }

  // ── secrets ─────────────────────────────────────────────────────────────────────────────

  /** Creates a secret (`replace`: replaces an existing one; containers started from now on get it). */
  putSecret(name: string, values: Record<string, string>, replace: boolean): SecretSummary {
    const info = this.secrets.put(name, values, replace);
    this.options.onEvent(`secret ${name}: ${replace ? "set" : "created"} (keys ${info.keys.join(", ")})`);
    return { ...info, usedBy: this.usersOf(name) };
  }

  listSecrets(): SecretSummary[] {
    return this.secrets.list().map((s) => ({ ...s, usedBy: this.usersOf(s.name) }));
  }

  /**
   * Deletes a secret no active version uses; false when there is no such secret. One change at a
   * time with deploys, so none can start using it while it goes.
   */
  removeSecret(name: string): Promise<boolean> {
    return this.exclusive(async () => {
      const users = this.usersOf(name);
      if (users.length > 0) {
        const apps = [...new Set(users.map((u) => u.split("/")[0] ?? u))];
        const stop = apps.map((app) => `wharf app stop ${app}`).join(", ");
        throw new WharfError("SECRET_IN_USE", `secret ${name} is used by ${users.join(", ")}: deploy ${apps.length === 1 ? "that app" : "those apps"} without it, or stop ${apps.length === 1 ? "it" : "them"} first (${stop})`);
      }
      const removed = this.secrets.remove(name);
      if (removed) this.options.onEvent(`secret ${name}: deleted`);
      return removed;
    });
  }

  /** `app/function` of every active version's function that names secret `name`. */
  private usersOf(name: string): string[] {
    const { store } = this.options;
    return store.apps().flatMap((app) => {
      const row = store.activeVersion(app);
      if (row === undefined) return [];
      return parseManifest(JSON.parse(row.manifest)).functions.filter((f) => (f.options.secrets ?? []).includes(name)).map((f) => `${app}/${f.name}`);
    });
  }

  /** Refuses a manifest naming a secret this server does not have, or secrets on a backend that cannot deliver them. */
  private checkSecrets(manifest: Manifest): void {
    const missing: WharfError[] = [];
    for (const fn of manifest.functions) {
      const names = fn.options.secrets ?? [];
      if (names.length > 0 && this.options.backend.deliversSpecEnv !== true) {
        throw new WharfError("SECRETS_UNSUPPORTED", `function ${fn.name} uses secrets (${names.join(", ")}), which this server's backend does not deliver to containers yet: use --backend local, or set the keys in the function's env`);
      }
      for (const name of names) if (!this.secrets.has(name)) missing.push(missingSecret(name, fn.name));
    }
    if (missing.length === 1 && missing[0] !== undefined) throw missing[0];
    if (missing.length > 1) throw new WharfError("SECRET_MISSING", missing.map((e) => e.message.replace(/: create it with .*$/, "")).join("; ") + `: create each with wharf secret create NAME KEY=VALUE…`);
  }

  /** The environment a new container of `fn` gets: its secrets as they are now, then its `env`. */
  private containerEnv(fn: FunctionManifest): Record<string, string> {
    const names = fn.options.secrets ?? [];
    return names.length === 0 ? fn.options.env : { ...this.secrets.environment(names, fn.name), ...fn.options.env };
  }

  /** Stops every running version (server shutdown). */
  async close(graceMs = 2000): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.version.stop("shutdown", graceMs)));
    await this.logs.close();
  }

  private async launch(manifest: Manifest, hash: string, path: string, note: string): Promise<DeployResult> {
    const app = manifest.app;
    const old = this.running.get(app);
    const keeps = old === undefined ? "nothing was changed" : `v${old.row.number} keeps serving`;
    const planned = this.plan(manifest);
    try {
      this.checkSecrets(manifest);
    } catch (err) {
      throw new WharfError((err as WharfError).code, `${(err as Error).message}; ${keeps}`, { cause: err });
    }
    const next = Math.max(0, ...this.options.store.history(app).map((v) => v.number)) + 1;
    const version = await this.startVersion(manifest, path, planned, next).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw new WharfError("DEPLOY_FAILED", `${app} did not start: ${message}; ${keeps}`, { cause: err });
    });
    let row: VersionRow;
    try {
      const others = [...this.running].filter(([name]) => name !== app).map(([, r]) => r.version);
      this.options.routes.setRoutes(this.table([...others, version]));
      row = this.options.store.activate(app, hash, JSON.stringify(manifest), note);
      this.options.store.setDomainClaims(app, planned.flatMap((p) => p.customDomains));
    } catch (err) {
      this.flip();
      void version.stop("reload", 0);
      throw err;
    }
    this.running.set(app, { row, version });
    this.failed.delete(app);
    this.options.onEvent(`${app}: v${row.number} is live (${note})`);
    if (old !== undefined) void old.version.stop("reload");
    return this.result(row, version);
  }

  /** Plans endpoints without `-dev` and refuses labels or domains another app holds. */
  private plan(manifest: Manifest): PlannedEndpoint[] {
    const planned = planEndpoints(manifest, { dev: false, baseDomain: this.options.domain });
    const claim = (app: string, e: { name: string; label: string; customDomains: readonly string[] }) => ({ name: `${e.name} of app ${app}`, label: e.label, customDomains: e.customDomains });
    const others = [...this.running].filter(([app]) => app !== manifest.app).flatMap(([app, r]) => r.version.endpoints.map((e) => claim(app, e)));
    const built = buildRouteTable(this.options.domain, [...others, ...planned.map((p) => claim(manifest.app, p))]);
    if ("conflicts" in built) throw new WharfError("ADDRESS_CONFLICT", `${built.conflicts.join("; ")}: give one of them another label or domain, or stop the other app`);
    // A custom domain stays its app's after the app stops (its traffic, cookies included, must not
    // go to whoever deploys next), and a name one app holds is not another's, exactly or by wildcard.
    const serving = [...this.running].flatMap(([app, r]) => r.version.endpoints.flatMap((e) => e.customDomains.map((name) => ({ name, app }))));
    const held = [...serving, ...this.options.store.domainClaims()].filter((c) => c.app !== manifest.app);
    const taken: string[] = [];
    for (const endpoint of planned) {
      for (const domain of endpoint.customDomains) {
        const holder = held.find((c) => covers(c.name, domain) || covers(domain, c.name));
        if (holder === undefined) continue;
        const how = holder.name === domain ? "" : ` (as ${JSON.stringify(holder.name)})`;
        const state = this.running.has(holder.app) ? "" : ", stopped, which keeps it until it is released";
        taken.push(`custom domain ${JSON.stringify(domain)} of ${endpoint.name} of app ${manifest.app} is held by app ${holder.app}${how}${state}`);
      }
    }
    if (taken.length > 0) throw new WharfError("ADDRESS_CONFLICT", `${taken.join("; ")}: pick another domain, or release it from the other app (redeploy it without it, or wharf domain remove NAME)`);
    return planned;
  }

  private async startVersion(manifest: Manifest, bundle: string, planned: PlannedEndpoint[], number: number): Promise<Version> {
    const app = manifest.app;
    const version = new Version({
      number,
      backend: this.options.backend,
      bundle,
      cwd: this.options.cwd,
      manifest,
      planned,
      maxQueue: this.options.maxQueue,
      graceMs: this.options.graceMs,
      envOf: (fn) => this.containerEnv(fn),
      onLog: (fn, line, stream) => {
        this.logs.append(app, fn, line);
        this.options.telemetry?.log(app, fn, line, stream);
        this.options.onLog(app, fn, line, stream);
      },
      onEvent: (message) => this.options.onEvent(`${app}: ${message}`),
      containers: this.options.telemetry === undefined ? undefined : {
        started: (fn, id, ms, reason) => this.options.telemetry?.coldStart(app, fn, id, ms, reason),
        exited: (fn, _id, reason) => this.options.telemetry?.exit(app, fn, reason),
      },
    });
    await version.start();
    return version;
  }

  private table(versions: Version[] = [...this.running.values()].map((r) => r.version)): RouteTable<GatewayEndpoint> {
    const built = buildRouteTable(this.options.domain, versions.flatMap((v) => v.endpoints));
    if ("conflicts" in built) throw new WharfError("ADDRESS_CONFLICT", built.conflicts.join("; "), { kind: "system" });
    return built.table;
  }

  private flip(): void {
    this.options.routes.setRoutes(this.table());
  }

  private result(row: VersionRow, version: Version): DeployResult {
    return { app: row.app, version: row.number, endpoints: version.endpoints.map((e) => ({ name: e.name, url: this.url(e.label), customDomains: [...e.customDomains] })) };
  }

  private url(label: string): string {
    return `http://${label}.${this.options.domain}${this.options.port === 80 ? "" : `:${this.options.port}`}`;
  }

  /** Runs changes one at a time, in order. */
  private exclusive<T>(change: () => Promise<T>): Promise<T> {
    const next = this.queue.then(change, change);
    this.queue = next.catch(() => {});
    return next;
  }
}

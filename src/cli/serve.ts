/**
 * `wharf serve FILE`: bundle, check, start every endpoint on an embedded gateway, print their
 * URLs, stream container logs, reload on save (the last good version keeps serving when a save
 * is broken) and stop everything on Ctrl-C.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { LocalBackend } from "../backends/local/local-backend.ts";
import { bundleApp } from "../build/bundle.ts";
import { checkBundle } from "../build/check.ts";
import { planEndpoints } from "../control/plan.ts";
import { Store } from "../control/store.ts";
import { TokenVerifier } from "../control/tokens.ts";
import { DRAIN_GRACE_MS, Version } from "../control/version.ts";
import { Gateway } from "../gateway/gateway.ts";
import type { EdgeLimits } from "../shared/limits.ts";
import { buildRouteTable } from "../gateway/route-table.ts";
import { WharfError } from "../sdk/errors.ts";
import { countFlag, dataDir, portFlag, UsageError } from "./command-kit.ts";
import { readDotenv } from "./dotenv.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import { LIMIT_FLAGS, parseLimitFlags } from "./limit-flags.ts";
import type { Output } from "./output.ts";
import { AGENT_PATH, SDK_PATH } from "./paths.ts";
import { untilStopped } from "./signals.ts";
import { unknownHostPage } from "../dashboard/not-found.ts";
import { platformPages } from "../dashboard/pages.ts";
import type { DashboardSource } from "../dashboard/source.ts";
import { createMetrics } from "../observe/metrics.ts";
import { Telemetry } from "../observe/telemetry.ts";
import type { RequestRecord } from "../observe/request-record.ts";
import { livePools } from "../dashboard/source.ts";

export interface ServeOptions {
  file: string;
  port: number;
  host: string;
  domain: string;
  /** Requests allowed to wait per function beyond its containers' capacity (then 503). */
  maxQueue: number;
  /** The data dir whose proxy-auth tokens this serve accepts (read-only, re-read every 500 ms). */
  data: string;
  /** The gateway's limits on what clients send (docs/edge.md); unset ones keep their defaults. */
  limits?: Partial<EdgeLimits>;
  /** Hand eligible client connections to containers (docs/handoff.md). */
  handoff?: boolean;
  /** No request log lines (`--quiet`). */
  quiet?: boolean;
  /** `--env-file` files, read after the working directory's `.env` (a later file's key wins). */
  envFiles?: string[];
}

export const SERVE = {
  name: "serve",
  brief: "serve an app file for development: embedded gateway, logs, reload on save",
  usage: ["serve FILE [flags]"],
  summary: "Bundle FILE, check it, serve every endpoint on an embedded gateway and print its URL; stream container logs; reload on save (the last good version keeps serving when a save is broken); Ctrl-C stops everything. Containers get this shell's environment, plus ./.env and --env-file files for the keys it does not set, plus each function's env.",
  flags: {
    port: { type: "string", default: "8000", value: "N", help: "the gateway's port; 0 picks a free one" },
    host: { type: "string", default: "127.0.0.1", value: "ADDR", help: "the address the gateway listens on" },
    domain: { type: "string", default: "localhost", value: "NAME", help: "base domain of the endpoint URLs (LABEL.NAME)" },
    "max-queue": { type: "string", default: "1000", value: "N", help: "requests a function may queue beyond its containers, then 503" },
    data: { type: "string", value: "DIR", help: "data dir whose proxy-auth tokens are accepted (default $WHARF_DATA, else ~/.wharf)" },
    handoff: { type: "boolean", default: false, help: "hand eligible client connections to the containers (docs/handoff.md)" },
    quiet: { type: "boolean", short: "q", default: false, help: "print no line per request (the request log)" },
    "env-file": { type: "string", multiple: true, value: "FILE", help: "also read KEY=VALUE pairs for the containers from FILE, after ./.env" },
    ...LIMIT_FLAGS,
  },
  examples: ["wharf serve app.ts", "wharf serve app.ts --env-file .env.local", "wharf serve app.ts --port 8080 --domain dev.example.com"],
} as const satisfies CommandSpec;

export async function serveCommand(args: string[], out: Output): Promise<void> {
  const { values, positionals } = parseFlags(SERVE, args);
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError("wharf serve takes one FILE", "serve");
  const port = portFlag("port", values.port);
  const maxQueue = countFlag("max-queue", values["max-queue"]);
  await serve({ file, port, host: values.host, domain: values.domain.toLowerCase(), maxQueue, data: dataDir(values.data), limits: parseLimitFlags(values), handoff: values.handoff, quiet: values.quiet, envFiles: values["env-file"] ?? [] }, out);
}

export async function serve(options: ServeOptions, out: Output): Promise<void> {
  const cwd = process.cwd();
  // The data dir whose tokens we read is absent from every container.
  const backend = new LocalBackend({ agentPath: AGENT_PATH, warn: (m) => out.warn(m), hide: [options.data], reach: [cwd, dirname(resolve(options.file))] });
  const tokens = new TokenVerifier(Store.lazyReadOnly(options.data), 500);
  let current: Version | undefined;
  let inputs: string[] = [];
  let reloads = 0;
  let port = options.port;
  const versions = (): { version: Version; label: string }[] => (current === undefined ? [] : [{ version: current, label: reloads === 0 ? "dev" : `dev (reloaded ${reloads}×)` }]);
  const metrics = await createMetrics(livePools({ versions, standby: () => backend.standbyCount }));
  const telemetry = new Telemetry(Date.now, [metrics]);
  const source: DashboardSource = {
    mode: "serve",
    versions,
    url: (label) => `http://${label}.${options.domain}${port === 80 ? "" : `:${port}`}`,
    telemetry,
    standby: () => backend.standbyCount,
  };
  const status = (): unknown => ({ versions: current === undefined ? [] : [current.status()] });
  const gateway = new Gateway({
    verify: tokens.verify,
    platformPages: platformPages({ source, status, metrics: () => metrics.text() }),
    unknownHost: unknownHostPage(
      () => current?.endpoints.map((e) => ({ name: e.name, url: source.url(e.label) })) ?? [],
      () => source.url("wharf"),
    ),
    // WHARF_OBSERVE=0 turns request records off altogether: only for measuring their cost (bench/observe.mjs).
    ...(process.env["WHARF_OBSERVE"] === "0" ? {} : { onRequest: options.quiet === true ? telemetry.request : (r: RequestRecord) => { telemetry.request(r); out.request(r); } }),
    limits: options.limits ?? {},
    handoff: options.handoff === true,
  });

  // ./.env, then each --env-file: re-read at every load, and watched like the app's sources.
  const envFiles = [resolve(cwd, ".env"), ...(options.envFiles ?? []).map((f) => resolve(f))];
  const noted = new Set<string>();
  const load = async (): Promise<{ version: Version; failed: Map<string, string> }> => {
    const dotenv = readEnvFiles(envFiles);
    const bundle = await bundleApp(options.file, SDK_PATH);
    inputs = [...bundle.inputs, ...envFiles];
    const manifest = await checkBundle(AGENT_PATH, bundle.path, cwd, backend, undefined, { ...process.env, ...dotenv });
    const planned = planEndpoints(manifest, { dev: true, baseDomain: options.domain });
    for (const fn of manifest.functions) {
      const names = fn.options.secrets ?? [];
      const note = `${fn.name} uses secrets ${names.join(", ")}: wharf serve reads no server secrets, so give their keys to it in .env (or --env-file FILE)`;
      if (names.length > 0 && !noted.has(note)) {
        noted.add(note);
        out.info(note);
      }
    }
    const version = new Version({
      backend,
      bundle: bundle.path,
      cwd,
      manifest,
      planned,
      envOf: (fn) => ({ ...dotenv, ...fn.options.env }),
      maxQueue: options.maxQueue,
      graceMs: DRAIN_GRACE_MS,
      onLog: (fn, line, stream) => {
        telemetry.log(manifest.app, fn, line, stream);
        out.log(fn, line, stream);
      },
      onEvent: (m) => out.info(m),
      containers: {
        started: (fn, id, ms, reason) => telemetry.coldStart(manifest.app, fn, id, ms, reason),
        exited: (fn, _id, reason) => telemetry.exit(manifest.app, fn, reason),
      },
    });
    // One broken function must not take the others down: it answers 503 and retries (scaler.ts).
    const failures = await version.start({ isolate: true });
    // On reload, a function that serves now must not be replaced by one that cannot start (e.g.
    // its webServer port is still held by the old container): keep the last good version.
    const regression = failures.find((f) => current?.scalers.get(f.name)?.status().startFailure === null);
    if (regression !== undefined) {
      await version.stop("reload", 0);
      throw new WharfError("START_FAILED", regression.line);
    }
    const built = buildRouteTable(options.domain, version.endpoints);
    if ("conflicts" in built) {
      // planEndpoints refused conflicts already; kept so a version never starts without routes.
      await version.stop("reload");
      throw new WharfError("ADDRESS_INVALID", built.conflicts.join("; "));
    }
    gateway.setRoutes(built.table);
    return { version, failed: new Map(failures.map((f) => [f.name, f.line])) };
  };

  port = await gateway.listen(options.port, options.host).catch((err: NodeJS.ErrnoException) => {
    throw new WharfError("PORT_IN_USE", err.code === "EADDRINUSE" ? `port ${options.port} on ${options.host} is in use: pick another with --port` : `cannot listen on ${options.host}:${options.port}: ${err.message}`);
  });
  const shutdown = async (): Promise<void> => {
    watcher.close();
    await gateway.close();
    await current?.stop("shutdown", 2000);
    await backend.close();
  };
  try {
    const loaded = await load();
    current = loaded.version;
    printEndpoints(loaded, options.domain, port, out);
  } catch (err) {
    await gateway.close();
    await backend.close();
    throw err;
  }
  out.info(`serving on ${options.host}:${port}; dashboard at http://wharf.${options.domain}:${port}/; watching ${basename(options.file)} for changes (Ctrl-C to stop)`);

  let reloading = false;
  let again = false;
  const reload = async (): Promise<void> => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    out.info(`↻ ${basename(options.file)} changed, reloading…`);
    try {
      const next = await load();
      const old = current;
      current = next.version;
      reloads++;
      printEndpoints(next, options.domain, port, out);
      void old?.stop("reload");
    } catch (err) {
      out.error(`reload failed, still serving the last good version: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      reloading = false;
      watcher.update(inputs);
      if (again) {
        again = false;
        void reload();
      }
    }
  };
  const watcher = watchInputs(inputs, () => void reload());

  await untilStopped(out, shutdown);
}

/**
 * The pairs of the env files, a later file's key winning; a key this shell's environment already
 * sets is left out (it wins, as with node --env-file and dotenv). Only ./.env may be missing.
 */
function readEnvFiles(files: readonly string[]): Record<string, string> {
  const merged: Record<string, string> = {};
  files.forEach((file, i) => Object.assign(merged, readDotenv(file, i > 0)));
  for (const key of Object.keys(merged)) if (process.env[key] !== undefined) delete merged[key];
  return merged;
}

/** One line per endpoint; a function that failed to start gets one error line with its reason, and ✗ on its endpoints. */
function printEndpoints({ version, failed }: { version: Version; failed: Map<string, string> }, domain: string, port: number, out: Output): void {
  const suffix = port === 80 ? "" : `:${port}`;
  for (const line of failed.values()) out.error(`${line} (its endpoints answer 503 until it starts; retrying with backoff)`);
  for (const endpoint of version.endpoints) {
    const url = `http://${endpoint.label}.${domain}${suffix}`;
    if (failed.has(endpoint.pool.name)) out.info(`✗ web function ${endpoint.name} => ${url} (failed to start)`);
    else out.success(`web function ${endpoint.name} => ${url}`);
  }
}

/** Watches the directories of the bundle's inputs (editors replace files, which breaks file watches). */
function watchInputs(initial: string[], onChange: () => void) {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const update = (files: string[]): void => {
    for (const w of watchers) w.close();
    const names = new Set(files);
    watchers = [...new Set(files.map((f) => dirname(f)))].map((dir) =>
      watch(dir, (_event, filename) => {
        if (filename === null || !names.has(`${dir}/${filename}`)) return;
        clearTimeout(timer);
        timer = setTimeout(onChange, 80);
      }),
    );
  };
  update(initial);
  return { update, close: () => { clearTimeout(timer); for (const w of watchers) w.close(); } };
}

/**
 * `wharf server`: the long-running platform. One gateway serves every deployed app; the admin API
 * (its own port, loopback by default, behind the admin token) deploys, rolls back and stops them
 * and manages proxy-auth tokens and custom domains; with `--https-port` the same gateway also
 * serves HTTPS for every custom domain that has a certificate (chosen by SNI). All state lives in
 * the data dir and survives restarts.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import type { Backend } from "../backends/backend.ts";
import { LocalBackend } from "../backends/local/local-backend.ts";
import { AcmeIssuer } from "../control/acme.ts";
import { createAdminApi } from "../control/admin-api.ts";
import { serverContainerEnv } from "../control/container-env.ts";
import { adminFile } from "../control/admin-schemas.ts";
import { DAY_MS, Domains } from "../control/domains.ts";
import { Platform } from "../control/platform.ts";
import { Store } from "../control/store.ts";
import { createToken, info, TokenVerifier } from "../control/tokens.ts";
import { Gateway } from "../gateway/gateway.ts";
import { SniContexts } from "../gateway/tls.ts";
import { WharfError } from "../sdk/errors.ts";
import { countFlag, dataDir, portFlag, UsageError } from "./command-kit.ts";
import { LIMIT_FLAGS, parseLimitFlags } from "./limit-flags.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";
import { AGENT_PATH } from "./paths.ts";
import { untilStopped } from "./signals.ts";
import { DRAIN_GRACE_MS, type Version } from "../control/version.ts";
import { jsonRequestLog } from "../observe/request-log.ts";
import { RotatingFile } from "../observe/rotating-file.ts";
import { createMetrics } from "../observe/metrics.ts";
import { Telemetry } from "../observe/telemetry.ts";
import { livePools } from "../dashboard/source.ts";
import { adminMetrics } from "../observe/admin-metrics.ts";
import { Access } from "../dashboard/access.ts";
import { unknownHostPage } from "../dashboard/not-found.ts";
import { platformPages } from "../dashboard/pages.ts";


export const SERVER = {
  name: "server",
  brief: "run the platform: every deployed app behind one gateway, plus the admin API",
  usage: ["server [flags]"],
  summary: "Run the platform: one gateway for every deployed app and the admin API (wharf deploy, app, token, domain) behind its admin token; all state lives in the data dir and survives restarts.",
  flags: {
    port: { type: "string", default: "8000", value: "N", help: "the gateway's HTTP port" },
    "admin-port": { type: "string", default: "8001", value: "N", help: "the admin API's port" },
    data: { type: "string", value: "DIR", help: "data dir: apps, versions, tokens, domains, admin token (default $WHARF_DATA, else ~/.wharf)" },
    host: { type: "string", default: "127.0.0.1", value: "ADDR", help: "the address the gateway listens on" },
    "admin-host": { type: "string", default: "127.0.0.1", value: "ADDR", help: "the address the admin API listens on" },
    domain: { type: "string", default: "localhost", value: "NAME", help: "base domain of the endpoint URLs (LABEL.NAME)" },
    "max-queue": { type: "string", default: "1000", value: "N", help: "requests a function may queue beyond its containers, then 503" },
    "https-port": { type: "string", value: "N", help: "also serve HTTPS here for every custom domain with a certificate" },
    "renew-before-days": { type: "string", default: "30", value: "N", help: "renew ACME certificates this many days before they expire" },
    handoff: { type: "boolean", default: false, help: "hand eligible client connections to the containers (docs/handoff.md)" },
    backend: { type: "string", default: "local", value: "NAME", help: "where containers run: local (OS processes here) or kubernetes (pods; docs/kubernetes.md)" },
    kubeconfig: { type: "string", value: "FILE", help: "kubernetes: the cluster's kubeconfig (default: the in-cluster config of a pod)" },
    namespace: { type: "string", default: "default", value: "NS", help: "kubernetes: the namespace of the functions' Deployments" },
    image: { type: "string", default: "wharf-runtime:latest", value: "IMAGE", help: "kubernetes: the runtime image every function runs (Containerfile)" },
    "bundle-host": { type: "string", default: "0.0.0.0", value: "ADDR", help: "kubernetes: the address the bundle server (pods fetch their code from it) listens on" },
    "bundle-port": { type: "string", default: "0", value: "N", help: "kubernetes: the bundle server's port (0 picks a free one)" },
    "bundle-url": { type: "string", value: "URL", help: "kubernetes: the base URL pods fetch bundles from (default http://ADDR:PORT/bundles, a wildcard ADDR as $POD_IP or this host's first IPv4)" },
    ...LIMIT_FLAGS,
  },
  examples: ["wharf server", "wharf server --host 0.0.0.0 --port 80 --https-port 443 --domain example.com --data /srv/wharf"],
} as const satisfies CommandSpec;

async function chooseBackend(values: { backend: string; kubeconfig?: string | undefined; namespace: string; image: string; "bundle-host": string; "bundle-port": string; "bundle-url"?: string | undefined }, dir: string, out: Output): Promise<Backend> {
  if (values.backend === "kubernetes") {
    // Loaded only here: the Kubernetes client costs every other command half a second to load.
    const { KubernetesBackend } = await import("../backends/kubernetes/backend.ts");
    return new KubernetesBackend({
      kubeconfig: values.kubeconfig,
      namespace: values.namespace,
      image: values.image,
      bundleHost: values["bundle-host"],
      bundlePort: portFlag("bundle-port", values["bundle-port"]),
      bundleUrl: values["bundle-url"],
      warn: (m) => out.warn(m),
      onEvent: (m) => out.info(m),
    });
  }
  if (values.backend !== "local") throw new UsageError(`--backend ${values.backend} is not a backend: use local or kubernetes`, "server");
  // Containers get PATH, HOME and NODE_ENV of this process, not the rest of its environment.
  return new LocalBackend({ agentPath: AGENT_PATH, warn: (m) => out.warn(m), hide: [dir], reach: [process.cwd()], env: serverContainerEnv(process.env) });
}

export async function server(args: string[], out: Output): Promise<void> {
  const { values, positionals } = parseFlags(SERVER, args);
  if (positionals.length > 0) throw new UsageError(`wharf server takes no FILE (got ${positionals.join(" ")}): deploy apps to it with wharf deploy FILE`);
  const port = portFlag("port", values.port);
  const adminPort = portFlag("admin-port", values["admin-port"]);
  const maxQueue = countFlag("max-queue", values["max-queue"]);
  const httpsPort = values["https-port"] === undefined ? undefined : portFlag("https-port", values["https-port"]);
  const renewBeforeDays = countFlag("renew-before-days", values["renew-before-days"]);
  const extraCa = acmeCaFromEnv();
  const domain = values.domain.toLowerCase();
  const limits = parseLimitFlags(values);
  const dir = dataDir(values.data);

  prepareDataDir(dir, out);
  const releasePid = claimDataDir(dir);
  const store = Store.open(dir);
  store.sweepBundles();
  const adminToken = existingAdminToken(dir) ?? `wa-${randomBytes(32).toString("base64url")}`;

  // The data dir (admin token, database, bundles) is absent from every container.
  const backend = await chooseBackend(values, dir, out);
  const tokens = new TokenVerifier(() => store, Infinity);
  let platform: Platform | undefined;
  const acme = new AcmeIssuer({ store, ...(extraCa === undefined ? {} : { extraCa }) });
  const certificates = new SniContexts();
  const domains = new Domains({
    store,
    acme,
    sink: certificates,
    renewBeforeMs: renewBeforeDays * DAY_MS,
    checkIntervalMs: renewCheckInterval(),
    onEvent: (m) => out.info(m),
  });
  const requestLog = new RotatingFile(join(dir, "logs", "requests.jsonl"), { maxBytes: bytesFromEnv("WHARF_REQUEST_LOG_BYTES") });
  const liveVersions = (): { version: Version; label: string }[] => platform?.versions() ?? [];
  const metrics = await createMetrics(livePools({ versions: liveVersions, standby: () => backend.standbyCount ?? 0 }));
  const telemetry = new Telemetry(Date.now, [metrics]);
  const writeRequest = jsonRequestLog(requestLog);
  let gatewayPort = port;
  const gateway = new Gateway({
    verify: tokens.verify,
    onRequest: (r) => {
      telemetry.request(r);
      writeRequest(r);
    },
    // The reserved host: the dashboard and /status, behind the admin token (sign-in or Bearer).
    platformPages: platformPages({
      source: {
        mode: "server",
        versions: liveVersions,
        url: (label) => `http://${label}.${domain}${gatewayPort === 80 ? "" : `:${gatewayPort}`}`,
        telemetry,
        standby: () => backend.standbyCount ?? 0,
        history: () => platform?.deployHistory() ?? [],
      },
      status: () => platform?.status() ?? { versions: [] },
      access: new Access(adminToken),
      metrics: () => metrics.text(),
    }),
    // Without the list: which apps run here is the dashboard's to tell, behind the token.
    unknownHost: unknownHostPage(() => undefined, () => `http://wharf.${domain}${gatewayPort === 80 ? "" : `:${gatewayPort}`}/`),
    limits,
    acmeChallenge: (host, token) => acme.challenge(host, token),
    handoff: values.handoff,
  });
  let admin: Server | undefined;
  const shutdown = async (): Promise<void> => {
    await new Promise<void>((resolve) => (admin === undefined ? resolve() : admin.close(() => resolve())));
    admin?.closeAllConnections();
    await domains.stop();
    await gateway.close();
    await platform?.close();
    await backend.close();
    await requestLog.close();
    store.close();
    releasePid();
  };

  try {
    gatewayPort = await listenOrExplain(gateway.listen(port, values.host), "--port", port, values.host);
    const tlsPort = httpsPort === undefined ? undefined : await listenOrExplain(gateway.listenTls(httpsPort, values.host, { SNICallback: certificates.callback }), "--https-port", httpsPort, values.host);
    platform = new Platform({
      store,
      backend,
      routes: gateway,
      agentPath: AGENT_PATH,
      cwd: process.cwd(),
      checkerEnv: serverContainerEnv(process.env),
      domain,
      port: gatewayPort,
      maxQueue,
      graceMs: DRAIN_GRACE_MS,
      onEvent: (m) => out.info(m),
      onLog: (app, fn, line, stream) => out.log(`${app}/${fn}`, line, stream),
      telemetry,
      logsDir: join(dir, "logs", "apps"),
    });
    const target = platform;
    const api = createAdminApi(
      {
        deploy: (bundle, name) => target.deploy(bundle, name),
        rollback: (app, version) => target.rollback(app, version),
        stop: (app) => target.stop(app),
        list: () => target.list(),
        historyOf: (app) => target.historyOf(app),
        logs: target.logs,
        functionsOf: (app) => target.functionsOf(app),
        createToken: (name) => {
          const token = createToken(store, name);
          tokens.invalidate();
          return token;
        },
        listTokens: () => store.tokens().map(info),
        revokeToken: (id) => {
          const found = store.revokeToken(id);
          tokens.invalidate();
          return found;
        },
        domains,
        secrets: {
          put: (name, values, replace) => target.putSecret(name, values, replace),
          list: () => target.listSecrets(),
          remove: (name) => target.removeSecret(name),
        },
      },
      adminToken,
    );
    // GET /metrics beside the admin API, behind the same token (Prometheus: `authorization`).
    admin = createServer(adminMetrics(adminToken, () => metrics.text(), getRequestListener(api)));
    const adminServer = admin;
    const actualAdminPort = await listenOrExplain(
      new Promise<number>((resolve, reject) => {
        adminServer.once("error", reject);
        adminServer.listen(adminPort, values["admin-host"], () => {
          const address = adminServer.address();
          resolve(typeof address === "object" && address !== null ? address.port : adminPort);
        });
      }),
      "--admin-port",
      adminPort,
      values["admin-host"],
    );
    const address = `http://${connectHost(values["admin-host"])}:${actualAdminPort}`;
    writeAdminFile(dir, address, adminToken);

    out.info(`wharf server: data in ${dir}`);
    out.success(`gateway http://${connectHost(values.host)}:${gatewayPort} serving *.${domain}`);
    out.success(`admin API ${address} (token in ${join(dir, "admin.json")})`);
    const served = domains.start();
    if (tlsPort !== undefined) out.success(`HTTPS https://${connectHost(values.host)}:${tlsPort} for custom domains with a certificate (${served} now)`);
    for (const outcome of await platform.restore()) {
      if (outcome.result === undefined) out.error(`app ${outcome.app} could not be restarted: ${outcome.error ?? "unknown error"}`);
      else for (const e of outcome.result.endpoints) out.success(`${outcome.app} v${outcome.result.version}: web function ${e.name} => ${e.url}`);
    }
    out.info("wharf server ready");
  } catch (err) {
    await shutdown();
    throw err;
  }

  await untilStopped(out, shutdown);
}

/** `WHARF_ACME_CA_FILE`: PEM certificates trusted for ACME directories besides Node's roots (a test CA such as pebble's). */
function acmeCaFromEnv(): string | undefined {
  const file = process.env["WHARF_ACME_CA_FILE"];
  if (file === undefined || file === "") return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new WharfError("ACME_CA_FILE", `cannot read WHARF_ACME_CA_FILE ${file}: ${(err as Error).message}`);
  }
}

/** A size in bytes from the environment (for tests), or undefined for the default. */
function bytesFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  const bytes = Number(value);
  if (!Number.isInteger(bytes) || bytes < 1) throw new WharfError("ENV_INVALID", `${name}=${value} is not a whole number of bytes`);
  return bytes;
}

/** How often certificates are checked for renewal: a day, or `WHARF_RENEW_CHECK_MS` (for tests). */
function renewCheckInterval(): number {
  const value = process.env["WHARF_RENEW_CHECK_MS"];
  if (value === undefined || value === "") return DAY_MS;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100) throw new WharfError("RENEW_CHECK_MS", `WHARF_RENEW_CHECK_MS=${value} is not a whole number of milliseconds of at least 100`);
  return ms;
}

/** Creates DIR (0700) or warns when an existing one is open to others. */
function prepareDataDir(dir: string, out: Output): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return;
  }
  if (!statSync(dir).isDirectory()) throw new WharfError("DATA_DIR_INVALID", `${dir} is not a directory: pass another --data DIR`);
  if ((statSync(dir).mode & 0o077) !== 0) out.warn(`${dir} is readable by other users: run chmod 700 ${dir}`);
}

/** One server per data dir: refuses when DIR/server.pid names a live process; returns the release. */
function claimDataDir(dir: string): () => void {
  const file = join(dir, "server.pid");
  const prior = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : NaN;
  if (Number.isInteger(prior) && prior !== process.pid && alive(prior)) {
    throw new WharfError("DATA_DIR_BUSY", `another wharf server (pid ${prior}) uses ${dir}: stop it first, or pass another --data DIR`);
  }
  writeAtomically(file, `${process.pid}\n`, 0o600);
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A pid reused by an unrelated program after a crash does not count.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("wharf");
  } catch {
    return true;
  }
}

/** The token of an earlier start, so CLIs configured against this dir keep working. */
function existingAdminToken(dir: string): string | undefined {
  try {
    return adminFile.parse(JSON.parse(readFileSync(join(dir, "admin.json"), "utf8"))).token;
  } catch {
    return undefined;
  }
}

function writeAdminFile(dir: string, address: string, token: string): void {
  writeAtomically(join(dir, "admin.json"), `${JSON.stringify({ address, token }, null, 2)}\n`, 0o600);
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temp = `${file}.tmp-${process.pid}`;
  const fd = openSync(temp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, mode);
  renameSync(temp, file);
}

/** The address a client on this machine connects to for a listen host. */
function connectHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function listenOrExplain(listening: Promise<number>, flag: string, port: number, host: string): Promise<number> {
  return listening.catch((err: NodeJS.ErrnoException) => {
    throw new WharfError("PORT_IN_USE", err.code === "EADDRINUSE" ? `port ${port} on ${host} is in use: pick another with ${flag}` : `cannot listen on ${host}:${port}: ${err.message}`);
  });
}

/**
 * The runtime agent: the program every container runs. Started idle (a standby runtime), it
 * waits for a `start` message, imports the app bundle, starts the function's container state and
 * serves the gateway over a Unix socket. `agent --check BUNDLE` instead prints the app's manifest
 * (or its one-line problem, exit 1): the checker the CLI runs before anything changes.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import { pathToFileURL } from "node:url";
import { AdoptedConnections } from "./adopted.ts";
import { startContainer, type Container, type ServingEndpoint } from "./container.ts";
import { loadApp } from "./load.ts";
import { servePod } from "./pod.ts";
import { ENDPOINT_HEADER, ERROR_MARK, MANIFEST_MARK, type AdoptMessage, type FromAgent, type ServedRecord, type StartMessage, type ToAgent } from "./protocol.ts";


async function importApp(bundle: string) {
  // Source maps for what is loaded from now on: the user's bundle (it carries its map inline),
  // not dist/agent.js, whose map would cost every container ~2 MiB (container.ts).
  process.setSourceMapsEnabled(true);
  const mod = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
  return loadApp(mod);
}

/** ` (at src/app.ts:3:7)`: where in the user's code an import-time exception was thrown. */
function atUserLine(err: unknown): string {
  if (!(err instanceof Error) || err.name === "WharfError" || err.stack === undefined) return "";
  for (const line of err.stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (m === null) continue;
    const path = (m[1] ?? "").replace(/^file:\/\//, "");
    if (path.includes("/node_modules/") || path.endsWith("/agent.js") || path.startsWith("node:")) continue;
    const shown = path.startsWith(`${process.cwd()}/`) ? path.slice(process.cwd().length + 1) : path;
    return ` (at ${decodeURIComponent(shown)}:${m[2] ?? ""}:${m[3] ?? ""})`;
  }
  return "";
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function check(bundle: string): Promise<void> {
  try {
    const app = await importApp(bundle);
    process.stdout.write(`${MANIFEST_MARK}${JSON.stringify(app.manifest)}\n`);
    process.exit(0);
  } catch (err) {
    if (!(err instanceof Error && err.name === "WharfError")) process.stderr.write(`${err instanceof Error ? (err.stack ?? "") : ""}\n`);
    process.stderr.write(`${ERROR_MARK}${messageOf(err).split("\n")[0]}${atUserLine(err)}\n`);
    process.exit(1);
  }
}

function send(message: FromAgent): void {
  process.send?.(message);
}

/**
 * Pays the first-touch costs before a container is needed (docs/decisions.md, "Containers": on Node 20 the first touch
 * of `Request` alone costs ~40 ms): one synthetic request goes through the same path a real one
 * takes — a Node server on a Unix socket, the fetch adapter, a JSON body in and out.
 */
async function warm(): Promise<void> {
  // An abstract Unix socket (Linux): no file to create in a hidden directory or to leave behind.
  const socket = `\0wharf-warm-${process.pid}`;
  const listener = getRequestListener(async (request) => Response.json({ echo: await request.json() as unknown, url: new URL(request.url).pathname }));
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  await new Promise<void>((resolve) => {
    const req = httpRequest({ socketPath: socket, method: "POST", path: "/warm?x=1", headers: { host: "warm.localhost", "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", () => resolve());
    req.end(JSON.stringify({ warm: true }));
  });
  server.close();
}

/** Where the agent serves the gateway: a Unix socket path, or a TCP port (pod mode). */
/** How long served-request records wait to share one IPC message. */
const SERVED_BATCH_MS = 50;

export type ListenOn = string | { port: number; host: string };

/** Pod mode (pod.ts): what the agent answers itself, and who may reach the function. */
export interface Gate {
  /** Answers readiness, retire and requests without the pod key; true when it did. */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether an upgrade carries the pod key (which it then strips). */
  allows(req: IncomingMessage): boolean;
}

export class Agent {
  /** Set in pod mode (pod.ts). */
  gate: Gate | undefined;
  private prepared: { bundle: string; app: ReturnType<typeof importApp> } | undefined;
  private readonly server: Server;
  private listening: ListenOn | undefined;
  private container: Container | undefined;
  private inFlight = 0;
  /** Client connections the gateway handed over (`--handoff`), served with the same dispatch. */
  private readonly adopted = new AdoptedConnections({
    request: (req, res) => this.dispatch(req, res),
    upgrade: (req, socket, head) => this.upgrade(req, socket, head),
    released: (id) => {
      this.flushServed();
      send({ type: "released", id });
    },
    served: (id, record) => {
      this.served.push({ id, record });
      this.servedTimer ??= setTimeout(() => this.flushServed(), SERVED_BATCH_MS);
    },
  });

  /** Records of requests served on handed-over connections, sent in batches (one IPC message each). */
  private served: { id: number; record: ServedRecord }[] = [];
  private servedTimer: NodeJS.Timeout | undefined;

  private flushServed(): void {
    clearTimeout(this.servedTimer);
    this.servedTimer = undefined;
    if (this.served.length === 0) return;
    send({ type: "served", records: this.served });
    this.served = [];
  }

  constructor() {
    this.server = createServer({ keepAliveTimeout: 60_000 }, (req: IncomingMessage, res: ServerResponse) => this.dispatch(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  get started(): boolean {
    return this.container !== undefined && this.stopped === undefined;
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    if (this.gate?.answer(req, res) === true) return;
    const endpoint = this.pick(req);
    if (endpoint === undefined) {
      res.writeHead(this.container === undefined ? 503 : 404, { "content-type": "text/plain" });
      res.end(this.container === undefined ? "wharf: this container has not started yet\n" : "wharf: no such endpoint in this container\n");
      return;
    }
    this.inFlight++;
    res.once("close", () => this.inFlight--);
    endpoint.listener(req, res);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.gate !== undefined && !this.gate.allows(req)) {
      socket.destroy();
      return;
    }
    const endpoint = this.pick(req);
    if (endpoint?.upgrade === undefined) socket.destroy();
    else endpoint.upgrade(req, socket, head);
  }

  /** A client connection handed over by the gateway; refused (closed, released) unless serving. */
  adopt(message: AdoptMessage, socket: Socket | undefined): void {
    if (socket === undefined) {
      send({ type: "released", id: message.id });
      return;
    }
    if (this.container === undefined || this.stopped !== undefined) {
      socket.once("close", () => send({ type: "released", id: message.id }));
      socket.destroy();
      return;
    }
    this.adopted.adopt(message, socket);
  }

  drainAdopted(): void {
    this.adopted.drain();
  }

  /** The endpoint a request is for: named by the gateway's header, or the container's only one. */
  private pick(req: IncomingMessage): ServingEndpoint | undefined {
    const endpoints = this.container?.endpoints;
    if (endpoints === undefined) return undefined;
    const key = req.headers[ENDPOINT_HEADER];
    stripEndpointHeader(req);
    const only = endpoints.size === 1 ? endpoints.values().next().value : undefined;
    return typeof key === "string" ? (endpoints.get(key) ?? only) : only;
  }

  /** Serves the gateway on a Unix socket (a standby may listen before it is started) or a TCP port. */
  async listen(on: ListenOn): Promise<void> {
    if (this.listening === on) return;
    if (typeof on === "string") rmSync(on, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      const done = (): void => {
        this.server.off("error", reject);
        resolve();
      };
      if (typeof on === "string") this.server.listen(on, done);
      else this.server.listen(on.port, on.host, done);
    });
    this.listening = on;
  }

  async start(message: StartMessage, on: ListenOn = message.socket): Promise<void> {
    const began = performance.now();
    try {
      process.chdir(message.cwd);
    } catch (err) {
      // A sandboxed container runs as a uid of its own, which only gets what others may.
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`cannot enter the working directory ${message.cwd} as the container's user (uid ${process.getuid?.() ?? "?"}): ${code ?? messageOf(err)}; containers run as an unprivileged user, so the project must be readable by others (chmod o+rX on it and o+x on its parent directories)`);
    }
    Object.assign(process.env, message.env);
    const app = await (this.prepared?.bundle === message.bundle ? this.prepared.app : importApp(message.bundle));
    const fn = app.functions.find((f) => f.manifest.name === message.function);
    if (fn === undefined) throw new Error(`function ${message.function} is not in the bundle`);
    this.container = await startContainer(fn);
    await this.listen(on);
    send({ type: "ready" });
    // `ps` (and /proc/PID/cmdline) shows which function a container runs.
    process.title = `wharf-agent ${message.function}`;
    if (process.env["WHARF_TIMING"] === "1") console.error(`[timing] start → ready ${(performance.now() - began).toFixed(1)} ms`);
  }

  prepare(bundle: string): void {
    if (this.prepared?.bundle === bundle) return;
    const app = importApp(bundle);
    app.catch(() => {}); // a failure surfaces again at start, where it is reported
    this.prepared = { bundle, app };
  }

  private stopped: Promise<never> | undefined;

  /** Drains, runs `exit` hooks, then ends the container's process group. Idempotent. */
  stop(graceMs: number): Promise<never> {
    this.stopped ??= this.drainAndExit(graceMs);
    return this.stopped;
  }

  private async drainAndExit(graceMs: number): Promise<never> {
    this.server.close();
    this.server.closeIdleConnections();
    this.adopted.drain();
    const deadline = Date.now() + graceMs;
    while ((this.inFlight > 0 || this.adopted.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.adopted.destroyAll();
    try {
      await this.container?.shutdown();
    } catch (err) {
      console.error(`exit hook failed: ${messageOf(err)}`);
    }
    // Whatever the user's code spawned (a webServer's python, say) goes with the container, even
    // when the platform that would kill the group is gone (kill -9). Our own SIGTERM handler
    // only re-enters this idempotent stop.
    try {
      process.kill(-process.pid, "SIGTERM");
    } catch {
      // not a group leader (started by hand): nothing to end
    }
    process.exit(0);
  }
}

function stripEndpointHeader(req: IncomingMessage): void {
  delete req.headers[ENDPOINT_HEADER];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === ENDPOINT_HEADER) {
      req.rawHeaders.splice(i, 2);
      break;
    }
  }
}

async function serveAgent(): Promise<void> {
  const agent = new Agent();
  // In its own network namespace only loopback exists, and it starts down.
  if (process.env["WHARF_NETNS"] === "1") execFileSync("ip", ["link", "set", "lo", "up"]);
  const socket = process.env["WHARF_SOCKET"];
  if (socket !== undefined) await agent.listen(socket);
  // In its own mount namespace, the directory holding every container's socket is covered with an
  // empty tmpfs once this container's socket is bound: no container can reach another's.
  const hide = process.env["WHARF_HIDE_DIR"];
  if (hide !== undefined) execFileSync("mount", ["-t", "tmpfs", "-o", "size=4k,mode=0700", "wharf-private", hide]);
  // The platform's variables are for this agent only: user code sees its function's environment.
  if (process.env["WHARF_UNSET_PWD"] === "1") delete process.env["PWD"];
  for (const name of ["WHARF_SOCKET", "WHARF_NETNS", "WHARF_HIDE_DIR", "WHARF_UNSET_PWD"]) delete process.env[name];
  await warm().catch(() => {});
  process.on("message", (message: ToAgent, handle: unknown) => {
    if (message.type === "start") {
      agent.start(message).catch((err: unknown) => {
        const ours = err instanceof Error && err.name === "WharfError"; // already names the function
        const line = messageOf(err).split("\n")[0] ?? "";
        send({ type: "failed", message: ours ? line : `${message.function} failed to start: ${line}` });
        if (!(err instanceof Error && err.name === "WharfError")) console.error(err);
        setTimeout(() => process.exit(1), 50);
      });
    } else if (message.type === "stop") void agent.stop(message.graceMs);
    else if (message.type === "prepare") agent.prepare(message.bundle);
    else if (message.type === "adopt") agent.adopt(message, handle as Socket | undefined);
    else if (message.type === "drain-adopted") agent.drainAdopted();
  });
  // The platform went away (crash, kill -9): stop rather than linger as an orphan.
  process.on("disconnect", () => void agent.stop(1000));
  process.on("SIGTERM", () => void agent.stop(5000));
  process.on("SIGINT", () => { /* the CLI's Ctrl-C reaches the whole group; the CLI stops us itself */ });
  send({ type: "idle" });
}

const [, , mode, bundle] = process.argv;
if (mode === "--check" && bundle !== undefined) void check(bundle);
else if (process.env["WHARF_BUNDLE_URL"] !== undefined) {
  servePod(new Agent()).catch((err: unknown) => {
    console.error(`wharf: the pod could not start: ${messageOf(err)}`);
    process.exit(1);
  });
} else {
  serveAgent().catch((err: unknown) => {
    console.error(`wharf: the runtime agent could not start: ${messageOf(err)}`);
    process.exit(1);
  });
}

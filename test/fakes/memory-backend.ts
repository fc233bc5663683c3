/**
 * An in-process `Backend` for tests (issue 7.5): each "container" is an `http.Server` in the test's
 * own process, on a Unix socket of its own, answering with the handler given for its function.
 * Nothing is spawned, so the gateway, pool, scaler and platform can be driven in-process with
 * real sockets in milliseconds. `crash()` kills a container the way a dying process does: every
 * connection is closed under the gateway and `exited` settles with SIGKILL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend, ContainerHandle, ContainerSpec } from "../../src/backends/backend.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse, container: MemoryContainer) => void;

type Exit = { code: number | null; signal: string | null };

export class MemoryContainer implements ContainerHandle {
  readonly address: { socketPath: string };
  readonly pid = -1;
  readonly exited: Promise<Exit>;
  /** Requests this container received. */
  received = 0;
  private settle!: (exit: Exit) => void;
  private readonly sockets = new Set<Socket>();
  private done = false;

  constructor(readonly id: string, readonly fn: string, private readonly server: Server, socketPath: string) {
    this.address = { socketPath };
    this.exited = new Promise((resolve) => (this.settle = resolve));
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  get alive(): boolean {
    return !this.done;
  }

  /**
   * Dies at once: connections closed, in-flight requests lost. A process's exit is usually seen
   * after its sockets closed (the kernel closes them as it dies); `exitFirst` reports the exit
   * before, as a pod that leaves its Endpoints before its connections fail does.
   */
  crash({ exitFirst = false } = {}): void {
    if (this.done) return;
    this.done = true;
    if (exitFirst) this.settle({ code: null, signal: "SIGKILL" });
    setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
      this.server.close();
      if (!exitFirst) setTimeout(() => this.settle({ code: null, signal: "SIGKILL" }), 20);
    }, exitFirst ? 20 : 0);
  }

  async stop(graceMs: number): Promise<void> {
    if (this.done) return;
    this.done = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
    this.settle({ code: 0, signal: null });
  }
}

export class MemoryBackend implements Backend {
  readonly networkIsolation = true;
  readonly containers: MemoryContainer[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "wharf-memory-"));
  private next = 0;
  /** A start fails with this message while it is set. */
  failStarts: string | undefined;

  constructor(private readonly handlers: Record<string, Handler>) {}

  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    if (this.failStarts !== undefined) throw new Error(this.failStarts);
    const handler = this.handlers[spec.functionName];
    if (handler === undefined) throw new Error(`the memory backend has no handler for ${spec.functionName}`);
    const id = `m${++this.next}`;
    const path = join(this.dir, `${id}.sock`);
    let container: MemoryContainer | undefined;
    const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      if (container === undefined) return;
      container.received++;
      handler(req, res, container);
    });
    container = new MemoryContainer(id, spec.functionName, server, path);
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, resolve));
    this.containers.push(container);
    return container;
  }

  running(fn?: string): MemoryContainer[] {
    return this.containers.filter((c) => c.alive && (fn === undefined || c.fn === fn));
  }

  async close(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.stop(0)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

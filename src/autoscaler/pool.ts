/**
 * The pool of one function: its live containers with their in-flight counts. A request takes the
 * least-loaded container under `maxInputs`, or waits in a bounded FIFO queue until one frees up.
 * The scaler watches the pool (through `onPressure`) and adds or removes containers.
 */
import { Pool as ConnectionPool, type Dispatcher } from "undici";
import type { ContainerHandle } from "../backends/backend.ts";

export interface Member {
  readonly handle: ContainerHandle;
  /** Keep-alive HTTP/1.1 connections to the container's Unix socket, one per concurrent input. */
  readonly client: Dispatcher;
  inFlight: number;
  /** When the container last became idle (ms since epoch). */
  idleSince: number;
  draining: boolean;
  /**
   * The container's socket refused a connection (nothing listens: it died, its exit not yet
   * seen): never picked again. The scaler still removes it, counts the crash and replaces it.
   */
  gone: boolean;
  /** Requests that failed in it because it went away (502s), for the crash report. */
  lost: number;
}

/** The queue is at its limit: answer 503 with Retry-After. */
export class QueueFullError extends Error {}
/** The function cannot get a container (it keeps crashing): answer 503. */
export class UnavailableError extends Error {}
/** The function's first containers could not start (`wharf serve` keeps the rest serving): 503 with the reason. */
export class StartFailedError extends UnavailableError {}
/** This pool's version was replaced while the request waited: route it again. */
export class RetiredError extends Error {}

interface Waiter {
  resolve(member: Member): void;
  reject(err: Error): void;
}

export interface PoolTotals {
  requests: number;
  rejected: number;
}

export class Pool {
  readonly members: Member[] = [];
  readonly totals: PoolTotals = { requests: 0, rejected: 0 };
  private readonly queue: Waiter[] = [];
  private readonly settling = new WeakMap<Member, (() => void)[]>();
  private unavailable: UnavailableError | undefined;
  /** Requests were refused while unavailable: the scaler must still try again once it may. */
  private refusedDemand = false;
  private retired = false;

  constructor(
    readonly name: string,
    private readonly maxInputs: number,
    private readonly maxQueue: number,
    /** Called when queued work appears, so the scaler can start containers. */
    private readonly onPressure: () => void = () => {},
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Work the scaler should count: queued requests, or one if requests were refused while unavailable. */
  get demand(): number {
    return this.queue.length + (this.refusedDemand && this.members.length === 0 ? 1 : 0);
  }

  get inFlight(): number {
    return this.members.reduce((n, m) => n + m.inFlight, 0);
  }

  add(handle: ContainerHandle): Member {
    const member: Member = {
      handle,
      // One connection per input the container may take at once (an undici Client is a single
      // connection: with pipelining 1 it would serialize every request to the container).
      client: upstream(handle, Math.min(this.maxInputs, 256)),
      inFlight: 0,
      idleSince: Date.now(),
      draining: false,
      gone: false,
      lost: 0,
    };
    this.members.push(member);
    this.unavailable = undefined;
    this.refusedDemand = false;
    this.drainQueue();
    return member;
  }

  /** Takes a member out of rotation; its in-flight requests finish. */
  remove(member: Member): void {
    member.draining = true;
    const i = this.members.indexOf(member);
    if (i !== -1) this.members.splice(i, 1);
  }

  /** Waits for a container with a free input slot; rejects when `signal` aborts, the queue is full or the function is unavailable. */
  acquire(signal: AbortSignal): Promise<Member> {
    if (this.retired) return Promise.reject(new RetiredError(this.name));
    if (this.unavailable !== undefined && this.members.length === 0) {
      this.refusedDemand = true;
      this.onPressure();
      return Promise.reject(this.unavailable);
    }
    const member = this.pick();
    if (member !== undefined) {
      this.take(member);
      return Promise.resolve(member);
    }
    if (this.queue.length >= this.maxQueue) {
      this.totals.rejected++;
      return Promise.reject(new QueueFullError(`${this.name} has ${this.queue.length} requests queued (the limit)`));
    }
    const queued = new Promise<Member>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i !== -1) this.queue.splice(i, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      const waiter: Waiter = {
        resolve: (m) => { signal.removeEventListener("abort", onAbort); resolve(m); },
        reject: (e) => { signal.removeEventListener("abort", onAbort); reject(e); },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
    this.onPressure();
    return queued;
  }

  /** A member with a free input slot right now, taken; undefined rather than queueing. */
  tryAcquire(): Member | undefined {
    if (this.retired) return undefined;
    const member = this.pick();
    if (member !== undefined) this.take(member);
    return member;
  }

  release(member: Member): void {
    member.inFlight--;
    if (member.inFlight === 0) {
      member.idleSince = Date.now();
      for (const resolve of this.settling.get(member)?.splice(0) ?? []) resolve();
    }
    this.drainQueue();
  }

  /** Resolves once no request holds `member` (each failed, went elsewhere or finished), or after `maxMs`. */
  settled(member: Member, maxMs: number): Promise<void> {
    if (member.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.settling.get(member) ?? [];
      this.settling.set(member, waiters);
      const timer = setTimeout(resolve, maxMs);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The member's container refused a connection: it is dead, whatever its exit says later. */
  markGone(member: Member): void {
    member.gone = true;
    // Work it would have taken may need another container now.
    if (this.queue.length > 0 || this.members.every((m) => m.gone || m.draining)) this.onPressure();
  }

  /** Fails every queued request, and new ones while no container runs, with `err`. */
  fail(err: UnavailableError): void {
    this.unavailable = err;
    for (const waiter of this.queue.splice(0)) waiter.reject(err);
  }

  /** The version is replaced: queued requests (none of them sent yet) go to the new version. */
  retire(): void {
    this.retired = true;
    for (const waiter of this.queue.splice(0)) waiter.reject(new RetiredError(this.name));
  }

  private take(member: Member): void {
    member.inFlight++;
    this.totals.requests++;
  }

  private pick(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.members) {
      if (m.draining || m.gone || m.inFlight >= this.maxInputs) continue;
      if (best === undefined || m.inFlight < best.inFlight) best = m;
    }
    return best;
  }

  private drainQueue(): void {
    while (this.queue.length > 0) {
      const member = this.pick();
      if (member === undefined) return;
      this.take(member);
      this.queue.shift()?.resolve(member);
    }
  }
}

/** The connections to one container, with the headers its backend asks for on every request. */
function upstream(handle: ContainerHandle, connections: number): Dispatcher {
  const { address } = handle;
  const options = { connections, keepAliveTimeout: 30_000, pipelining: 1 };
  const pool =
    "socketPath" in address
      ? new ConnectionPool("http://container", { ...options, socketPath: address.socketPath })
      : new ConnectionPool(`http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`, options);
  const extra = handle.headers;
  if (extra === undefined) return pool;
  const list = Object.entries(extra).flat();
  // The gateway sends a flat [name, value, …] list (src/gateway/headers.ts); a record is merged.
  return pool.compose((dispatch) => (opts, handler) =>
    dispatch({ ...opts, headers: Array.isArray(opts.headers) ? [...(opts.headers as string[]), ...list] : { ...(opts.headers as Record<string, string> | undefined), ...extra } }, handler));
}

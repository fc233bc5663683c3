/**
 * The pool of one function: its live containers with their in-flight counts. A request takes the
 * least-loaded container under `maxInputs`, or waits in FIFO order until one frees up. (Scaling
 * decisions come from the autoscaler policy; this is the bookkeeping it drives.)
 */
import { Client } from "undici";
import type { ContainerHandle } from "../backends/backend.ts";

export interface Member {
  readonly handle: ContainerHandle;
  /** A keep-alive HTTP/1.1 client on the container's Unix socket. */
  readonly client: Client;
  inFlight: number;
  draining: boolean;
}

interface Waiter {
  resolve(member: Member): void;
  reject(err: Error): void;
}

export class Pool {
  readonly members: Member[] = [];
  private readonly queue: Waiter[] = [];
  /** Set when the function cannot get a container: queued and new requests fail with it. */
  private unavailable: Error | undefined;

  constructor(readonly name: string, private readonly maxInputs: number) {}

  get queued(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.members.reduce((n, m) => n + m.inFlight, 0);
  }

  add(handle: ContainerHandle): Member {
    const member: Member = {
      handle,
      client: new Client("http://container", { socketPath: handle.socket, keepAliveTimeout: 30_000, pipelining: 1 }),
      inFlight: 0,
      draining: false,
    };
    this.members.push(member);
    this.unavailable = undefined;
    this.drainQueue();
    return member;
  }

  /** Takes a member out of rotation; in-flight requests finish. */
  remove(member: Member): void {
    member.draining = true;
    const i = this.members.indexOf(member);
    if (i !== -1) this.members.splice(i, 1);
  }

  /** Waits for a container with a free input slot. Rejects when `signal` aborts or the function is unavailable. */
  acquire(signal: AbortSignal): Promise<Member> {
    if (this.unavailable !== undefined) return Promise.reject(this.unavailable);
    const member = this.pick();
    if (member !== undefined) {
      member.inFlight++;
      return Promise.resolve(member);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (m) => { signal.removeEventListener("abort", onAbort); resolve(m); },
        reject: (e) => { signal.removeEventListener("abort", onAbort); reject(e); },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i !== -1) this.queue.splice(i, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  release(member: Member): void {
    member.inFlight--;
    this.drainQueue();
  }

  /** Fails every queued request and every new one with `err` until a container is added. */
  fail(err: Error): void {
    this.unavailable = err;
    for (const waiter of this.queue.splice(0)) waiter.reject(err);
  }

  private pick(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.members) {
      if (m.draining || m.inFlight >= this.maxInputs) continue;
      if (best === undefined || m.inFlight < best.inFlight) best = m;
    }
    return best;
  }

  private drainQueue(): void {
    while (this.queue.length > 0) {
      const member = this.pick();
      if (member === undefined) return;
      member.inFlight++;
      this.queue.shift()?.resolve(member);
    }
  }
}

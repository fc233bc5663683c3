/**
 * The loop around the policy for one function: starts containers when work queues, stops idle
 * ones after `scaledownWindow`, replaces crashed ones, and backs off (with a clear 503) when a
 * function keeps crashing. Every start and stop is reported with its reason.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerHandle } from "../backends/backend.ts";
import type { ResolvedOptions } from "../runtime/manifest.ts";
import { decide } from "./policy.ts";
import { Pool, StartFailedError, UnavailableError, type Member } from "./pool.ts";

export type StartReason = "initial" | "scale up" | "replace crashed";
export type StopReason = "idle" | "reload" | "shutdown" | "crash";

export interface ScalerDeps {
  start(reason: StartReason): Promise<ContainerHandle>;
  onEvent(message: string): void;
  /** Milliseconds in-flight work gets when a container is stopped. */
  graceMs: number;
  /** Requests allowed to wait per function beyond its containers' capacity. */
  maxQueue: number;
  /** A container began serving, `ms` after its start was asked for (dashboard, metrics). */
  onStarted?(id: string, ms: number, reason: StartReason): void;
  /** A container left the pool for `reason` (dashboard, metrics). */
  onExit?(id: string, reason: StopReason): void;
}

/** Consecutive failures before backing off; a container that served this long resets the count. */
const CRASHES_BEFORE_BACKOFF = 3;
const HEALTHY_AFTER_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;

export interface ScalerStatus {
  name: string;
  containers: number;
  starting: number;
  /** Containers serving at least one request, and none. */
  busy: number;
  idle: number;
  /** Containers out of rotation, finishing their in-flight requests before they stop. */
  draining: number;
  inFlight: number;
  queued: number;
  backingOff: boolean;
  /** Why the function's first containers could not start (retried with backoff), else null. */
  startFailure: string | null;
  /** `startFailures`: attempts to start the first containers that failed (see `startFailure`). */
  totals: { requests: number; rejected: number; started: number; stopped: number; crashed: number; startFailures: number };
}

export class Scaler {
  readonly pool: Pool;
  private readonly counts = { started: 0, stopped: 0, crashed: 0, startFailures: 0 };
  private starting = 0;
  private draining = 0;
  private failures = 0;
  private backoffUntil = 0;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = new Map<Member, number>();
  private startFailure: string | undefined;
  private retryDelayMs = 1000;

  constructor(readonly name: string, private readonly options: ResolvedOptions, private readonly deps: ScalerDeps) {
    this.pool = new Pool(name, options.maxInputs, deps.maxQueue, () => this.evaluate());
    this.timer = setInterval(() => this.evaluate(), 500);
    this.timer.unref();
  }

  /** Starts the first containers (`minContainers`, at least one); rejects if one fails. */
  async startInitial(): Promise<void> {
    const count = Math.max(1, this.options.minContainers);
    this.starting += count;
    const began = performance.now();
    const handles = await Promise.allSettled(Array.from({ length: count }, () => this.deps.start("initial")));
    this.starting -= count;
    const failed = handles.find((h): h is PromiseRejectedResult => h.status === "rejected");
    for (const h of handles) {
      if (h.status !== "fulfilled") continue;
      // Stopped meanwhile (another function of the version failed): this one must not linger.
      if (this.stopped) await h.value.stop(0);
      else {
        this.deps.onStarted?.(h.value.id, performance.now() - began, "initial");
        this.adopt(h.value, "initial");
      }
    }
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * The first containers could not start (under `wharf serve`, where one broken function must
   * not take the others down): requests answer 503 with the reason, and only a retry timer,
   * backing off from 1 s to 30 s, starts containers until one comes up.
   */
  failedToStart(reason: string): void {
    this.startFailure = reason;
    this.counts.startFailures++;
    this.pool.fail(new StartFailedError(startFailureLine(this.name, reason)));
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(MAX_BACKOFF_MS, delay * 2);
    this.backoffUntil = Date.now() + delay;
    setTimeout(() => {
      if (this.stopped) return;
      this.startInitial().then(
        () => {
          this.startFailure = undefined;
          this.retryDelayMs = 1000;
          this.deps.onEvent(`${this.name} started after failing to start; its endpoints serve again`);
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.failedToStart(startFailureReason(this.name, err));
        },
      );
    }, delay).unref();
  }

  /** Runs the policy once and acts on it. */
  evaluate(): void {
    if (this.stopped || this.startFailure !== undefined) return;
    const now = Date.now();
    if (now < this.backoffUntil) return;
    const decision = decide({
      now,
      inFlight: this.pool.inFlight,
      queued: this.pool.demand,
      containers: [
        ...this.pool.members.map((m) => ({ id: m.handle.id, inFlight: m.inFlight, idleSince: m.inFlight === 0 ? m.idleSince : null, starting: false })),
        ...Array.from({ length: this.starting }, (_, i) => ({ id: `starting-${i}`, inFlight: 0, idleSince: null, starting: true })),
      ],
      options: {
        minContainers: this.options.minContainers,
        maxContainers: this.options.maxContainers,
        bufferContainers: this.options.bufferContainers,
        targetInputs: this.options.targetInputs,
        scaledownWindowMs: this.options.scaledownWindow * 1000,
      },
    });
    for (let i = 0; i < decision.start; i++) this.launch("scale up");
    for (const id of decision.stop) {
      const member = this.pool.members.find((m) => m.handle.id === id);
      if (member !== undefined) void this.retire(member, "idle");
    }
  }

  private launch(reason: StartReason): void {
    this.starting++;
    const began = performance.now();
    this.deps.start(reason).then(
      (handle) => {
        this.starting--;
        if (process.env["WHARF_TIMING"] === "1") this.deps.onEvent(`[timing] ${this.name}: container start took ${(performance.now() - began).toFixed(1)} ms`);
        if (this.stopped) void handle.stop(0);
        else {
          this.deps.onStarted?.(handle.id, performance.now() - began, reason);
          this.adopt(handle, reason);
        }
      },
      (err: unknown) => {
        this.starting--;
        this.recordFailure(`could not start: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  status(): ScalerStatus {
    return {
      name: this.name,
      containers: this.pool.members.length,
      starting: this.starting,
      busy: this.pool.members.filter((m) => m.inFlight > 0).length,
      idle: this.pool.members.filter((m) => m.inFlight === 0).length,
      draining: this.draining,
      inFlight: this.pool.inFlight,
      queued: this.pool.queued,
      backingOff: Date.now() < this.backoffUntil,
      startFailure: this.startFailure ?? null,
      totals: { ...this.pool.totals, ...this.counts },
    };
  }

  private adopt(handle: ContainerHandle, reason: StartReason): void {
    this.counts.started++;
    const member = this.pool.add(handle);
    this.startedAt.set(member, Date.now());
    // A version's first containers and its stops on reload or shutdown are summed up by whoever
    // started or stopped the version (one line per function); what the scaler decides alone is
    // reported here, per container.
    if (reason !== "initial") this.deps.onEvent(`container ${handle.id} of ${this.name} started (${reason}); ${this.pool.members.length} running`);
    void handle.exited.then(({ code, signal }) => {
      const healthy = Date.now() - (this.startedAt.get(member) ?? 0) >= HEALTHY_AFTER_MS;
      this.startedAt.delete(member);
      if (member.draining || this.stopped) return;
      this.pool.remove(member);
      this.counts.crashed++;
      this.deps.onExit?.(handle.id, "crash");
      void (handle.finishesInFlight?.() === true ? member.client.close() : member.client.destroy());
      const why = handle.exitReason?.() ?? (signal ?? `exit code ${code}`);
      // The requests that were in it and failed (502): `lost`, counted by the gateway, whether it
      // saw the socket close before or after the exit; retried ones are not among them.
      // Counted once every request it held has failed or gone to another container.
      void this.pool.settled(member, 5000).then(() => {
        this.deps.onEvent(`container ${handle.id} of ${this.name} stopped (crash: ${why}); ${member.lost + member.inFlight} in-flight request(s) failed`);
      });
      if (healthy) this.failures = 0;
      this.recordFailure(`crashed (${why})`, true);
    });
  }

  private recordFailure(what: string, crashed = false): void {
    if (this.stopped) return;
    this.failures++;
    if (this.failures >= CRASHES_BEFORE_BACKOFF) {
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - CRASHES_BEFORE_BACKOFF));
      this.backoffUntil = Date.now() + delay;
      this.deps.onEvent(`${this.name} keeps failing (${this.failures} times in a row, last: ${what}); backing off, next start in ${delay / 1000}s`);
      // The reason goes in the 503: a start that keeps failing names why (the backend's message).
      if (this.pool.members.length === 0) this.pool.fail(new UnavailableError(crashed ? `${this.name} keeps crashing; retry later` : `${this.name} ${what}; retry later`));
      setTimeout(() => this.evaluate(), delay).unref();
      return;
    }
    if (!crashed) this.deps.onEvent(`container of ${this.name} ${what}`);
    if (crashed) this.launch("replace crashed");
    else this.evaluate();
  }

  private async retire(member: Member, reason: StopReason, graceMs = this.deps.graceMs): Promise<void> {
    this.pool.remove(member);
    this.counts.stopped++;
    this.draining++;
    this.deps.onExit?.(member.handle.id, reason);
    if (reason === "idle" || reason === "crash") this.deps.onEvent(`container ${member.handle.id} of ${this.name} stopping (${reason}); ${this.pool.members.length} running`);
    // Drain at the gateway first: the container keeps listening until its last input is done.
    // Connections handed to it count as inputs until they close; it closes them as they fall idle.
    member.handle.drainAdopted?.();
    const deadline = Date.now() + graceMs;
    while (member.inFlight > 0 && Date.now() < deadline) await sleep(20);
    try {
      await member.handle.stop(Math.max(0, deadline - Date.now()));
      await member.client.destroy();
    } finally {
      this.draining--;
    }
  }

  /** Stops everything: queued requests go to the next version; in-flight ones get the grace period. */
  async stop(reason: StopReason, graceMs = this.deps.graceMs): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.pool.retire();
    await Promise.all([...this.pool.members].map((m) => this.retire(m, reason, graceMs)));
  }
}

/** The reason a start failed, without the `NAME failed to start: ` the agent may already have put in front. */
export function startFailureReason(name: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const prefix = `${name} failed to start: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/** The one line that reports a function whose containers cannot start: printed, in the 503, in deploy's refusal. */
export function startFailureLine(name: string, reason: string): string {
  return `${name} failed to start: ${reason}`;
}

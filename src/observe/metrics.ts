/**
 * Prometheus metrics (prom-client, not a hand-written format): request counts and durations by
 * app, function and status code; cold starts and container exits; and, read at scrape time from
 * the running pools, in-flight and queued requests and containers by state; plus the process's
 * own metrics (CPU, memory, event loop lag, handles). prom-client is loaded by `createMetrics`,
 * only in the commands that serve (the other CLI commands start faster without it).
 */
import type { Counter, Histogram, Registry } from "prom-client";
import type { ScalerStatus } from "../autoscaler/scaler.ts";
import type { RequestRecord } from "./request-record.ts";
import type { TelemetrySink } from "./telemetry.ts";

export interface LivePools {
  /** Every running function with its pool's state. */
  functions(): { app: string; status: ScalerStatus }[];
  standby(): number;
}

const STATES = ["starting", "idle", "busy", "draining"] as const;

type PromClient = typeof import("prom-client");

export async function createMetrics(live: LivePools): Promise<Metrics> {
  return new Metrics(await import("prom-client"), live);
}

export class Metrics implements TelemetrySink {
  readonly registry: Registry;
  private readonly requests: Counter<"app" | "function" | "code">;
  private readonly duration: Histogram<"app" | "function">;
  private readonly coldStarts: Counter<"app" | "function">;
  private readonly coldStartSeconds: Histogram<"app" | "function">;
  private readonly exits: Counter<"app" | "function" | "reason">;

  constructor({ collectDefaultMetrics, Counter, Gauge, Histogram, Registry }: PromClient, live: LivePools) {
    this.registry = new Registry();
    const registers = [this.registry];
    this.requests = new Counter({ name: "wharf_requests_total", help: "Requests answered by the gateway, by app, function and status code (0: the client left first).", labelNames: ["app", "function", "code"], registers });
    this.duration = new Histogram({
      name: "wharf_request_duration_seconds",
      help: "Time from a request's arrival at the gateway to the end of its answer, queueing and cold starts included.",
      labelNames: ["app", "function"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 150],
      registers,
    });
    this.coldStarts = new Counter({ name: "wharf_cold_starts_total", help: "Containers started (each one a cold start).", labelNames: ["app", "function"], registers });
    this.coldStartSeconds = new Histogram({
      name: "wharf_cold_start_seconds",
      help: "Time from asking for a container to its serving.",
      labelNames: ["app", "function"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.exits = new Counter({ name: "wharf_container_exits_total", help: "Containers that left their pool, by reason (idle, reload, shutdown, crash).", labelNames: ["app", "function", "reason"], registers });
    new Gauge({
      name: "wharf_inflight",
      help: "Requests being served by containers now.",
      labelNames: ["app", "function"],
      registers,
      collect() {
        this.reset();
        for (const f of live.functions()) this.set({ app: f.app, function: f.status.name }, f.status.inFlight);
      },
    });
    new Gauge({
      name: "wharf_queued",
      help: "Requests waiting for a container now.",
      labelNames: ["app", "function"],
      registers,
      collect() {
        this.reset();
        for (const f of live.functions()) this.set({ app: f.app, function: f.status.name }, f.status.queued);
      },
    });
    new Gauge({
      name: "wharf_containers",
      help: "Containers by state; standby runtimes (warmed, not yet any function's) have app and function empty.",
      labelNames: ["app", "function", "state"],
      registers,
      collect() {
        this.reset();
        for (const f of live.functions()) for (const state of STATES) this.set({ app: f.app, function: f.status.name, state }, f.status[state]);
        this.set({ app: "", function: "", state: "standby" }, live.standby());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  request(r: RequestRecord): void {
    const labels = { app: r.app ?? "", function: r.function ?? "" };
    this.requests.inc({ ...labels, code: String(r.status) });
    this.duration.observe(labels, r.durationMs / 1000);
  }

  coldStart(app: string, fn: string, _container: string, ms: number): void {
    this.coldStarts.inc({ app, function: fn });
    this.coldStartSeconds.observe({ app, function: fn }, ms / 1000);
  }

  exit(app: string, fn: string, reason: string): void {
    this.exits.inc({ app, function: fn, reason });
  }

  async text(): Promise<{ body: string; type: string }> {
    return { body: await this.registry.metrics(), type: this.registry.contentType };
  }
}

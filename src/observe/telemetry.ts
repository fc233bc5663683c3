/**
 * What the dashboard shows, kept by app and function (not by pool or version, so a reload of the
 * app keeps its counters): request counts by status class, per-second rate and latency over the
 * last minutes, cold starts with their durations, container exits, recent requests and the tail
 * of each function's logs with timestamps. Everything is bounded; recording is O(1).
 */
import { bucketOf, newCounts, quantile } from "./latency-histogram.ts";
import type { RequestRecord } from "./request-record.ts";

/** Seconds of per-second history kept (the charts' window). */
export const WINDOW_S = 300;
const RECENT_REQUESTS = 100;
const LOG_LINES = 200;
const COLD_STARTS = 20;

/** Also told of every request, cold start and exit (the Prometheus metrics). */
export interface TelemetrySink {
  request(r: RequestRecord): void;
  coldStart(app: string, fn: string, container: string, ms: number, reason: string): void;
  exit(app: string, fn: string, reason: string): void;
}

export type StatusClass = "2xx" | "3xx" | "4xx" | "5xx" | "aborted";

export interface LogEntry {
  time: number;
  stream: "stdout" | "stderr";
  line: string;
}

export interface ColdStart {
  time: number;
  container: string;
  ms: number;
  reason: string;
}

interface Second {
  /** Epoch second this slot holds. */
  t: number;
  count: number;
  errors: number;
  latency: number[];
}

class FunctionStats {
  requests = 0;
  readonly classes: Record<StatusClass, number> = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, aborted: 0 };
  readonly seconds: Second[] = [];
  readonly coldStarts: ColdStart[] = [];
  coldStartCount = 0;
  readonly exits: Record<string, number> = {};
  readonly logs: LogEntry[] = [];

  second(t: number): Second {
    const slot = t % WINDOW_S;
    let s = this.seconds[slot];
    if (s === undefined || s.t !== t) {
      s = { t, count: 0, errors: 0, latency: newCounts() };
      this.seconds[slot] = s;
    }
    return s;
  }

  /** The slots of the last `span` seconds before `now`, oldest first (missing ones empty). */
  window(now: number, span: number): Second[] {
    const out: Second[] = [];
    const end = Math.floor(now / 1000);
    for (let t = end - span + 1; t <= end; t++) {
      const s = this.seconds[t % WINDOW_S];
      out.push(s !== undefined && s.t === t ? s : { t, count: 0, errors: 0, latency: [] });
    }
    return out;
  }
}

export interface FunctionSummary {
  app: string;
  function: string;
  requests: number;
  classes: Record<StatusClass, number>;
  /** Requests per second over the last 10 s. */
  rps: number;
  /** Latency quantiles (ms) over the last 60 s. */
  p50: number | null;
  p99: number | null;
  coldStarts: { count: number; recent: ColdStart[] };
  exits: Record<string, number>;
  logs: LogEntry[];
  /** Per second, oldest first: requests and p50 latency (ms). */
  series: { t: number; count: number; errors: number; p50: number | null }[];
}

export function statusClass(status: number): StatusClass {
  if (status === 0) return "aborted";
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  return "2xx";
}

export class Telemetry {
  private readonly functions = new Map<string, FunctionStats>();
  private readonly recent: RequestRecord[] = [];

  constructor(private readonly clock: () => number = Date.now, private readonly sinks: TelemetrySink[] = []) {}

  readonly request = (r: RequestRecord): void => {
    for (const sink of this.sinks) sink.request(r);
    this.recent.push(r);
    if (this.recent.length > RECENT_REQUESTS) this.recent.shift();
    if (r.app === null || r.function === null) return;
    const stats = this.of(r.app, r.function);
    const cls = statusClass(r.status);
    stats.requests++;
    stats.classes[cls]++;
    const second = stats.second(Math.floor(r.time / 1000));
    second.count++;
    if (cls === "5xx" || cls === "aborted") second.errors++;
    const bucket = bucketOf(r.durationMs);
    second.latency[bucket] = (second.latency[bucket] ?? 0) + 1;
  };

  log(app: string, fn: string, line: string, stream: "stdout" | "stderr"): void {
    const logs = this.of(app, fn).logs;
    logs.push({ time: this.clock(), stream, line });
    if (logs.length > LOG_LINES) logs.shift();
  }

  coldStart(app: string, fn: string, container: string, ms: number, reason: string): void {
    for (const sink of this.sinks) sink.coldStart(app, fn, container, ms, reason);
    const stats = this.of(app, fn);
    stats.coldStartCount++;
    stats.coldStarts.push({ time: this.clock(), container, ms, reason });
    if (stats.coldStarts.length > COLD_STARTS) stats.coldStarts.shift();
  }

  exit(app: string, fn: string, reason: string): void {
    for (const sink of this.sinks) sink.exit(app, fn, reason);
    const exits = this.of(app, fn).exits;
    exits[reason] = (exits[reason] ?? 0) + 1;
  }

  recentRequests(): RequestRecord[] {
    return [...this.recent];
  }

  summary(app: string, fn: string): FunctionSummary {
    const stats = this.functions.get(`${app}\0${fn}`) ?? new FunctionStats();
    const now = this.clock();
    const series = stats.window(now, WINDOW_S);
    const lastMinute = newCounts();
    for (const s of series.slice(-60)) s.latency.forEach((c, i) => (lastMinute[i] = (lastMinute[i] ?? 0) + c));
    // The current second is still filling: the rate is over the ten complete ones before it.
    const rps = series.slice(-11, -1).reduce((n, s) => n + s.count, 0) / 10;
    return {
      app,
      function: fn,
      requests: stats.requests,
      classes: { ...stats.classes },
      rps,
      p50: quantile(lastMinute, 0.5),
      p99: quantile(lastMinute, 0.99),
      coldStarts: { count: stats.coldStartCount, recent: [...stats.coldStarts] },
      exits: { ...stats.exits },
      logs: [...stats.logs],
      series: series.map((s) => ({ t: s.t, count: s.count, errors: s.errors, p50: quantile(s.latency, 0.5) })),
    };
  }

  private of(app: string, fn: string): FunctionStats {
    const key = `${app}\0${fn}`;
    let stats = this.functions.get(key);
    if (stats === undefined) {
      stats = new FunctionStats();
      this.functions.set(key, stats);
    }
    return stats;
  }
}

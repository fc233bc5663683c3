/**
 * What the dashboard reads, the same for `wharf serve` and `wharf server`: the running versions
 * (their endpoints and pools) joined with the telemetry kept by app and function.
 */
import type { ScalerStatus } from "../autoscaler/scaler.ts";
import type { Version } from "../control/version.ts";
import type { RequestRecord } from "../observe/request-record.ts";
import type { FunctionSummary, Telemetry } from "../observe/telemetry.ts";

export interface DeployEntry {
  app: string;
  number: number;
  created: number;
  status: string;
  note: string;
}

export interface DashboardSource {
  mode: "serve" | "server";
  /** The running versions, each with the version label shown (`v3`, or `dev` under serve). */
  versions(): { version: Version; label: string }[];
  /** `http://{label}.{domain}:{port}` */
  url(label: string): string;
  telemetry: Telemetry;
  standby(): number;
  /** Deploy history, newest first (`wharf server` only). */
  history?(): DeployEntry[];
}

export interface Snapshot {
  mode: "serve" | "server";
  time: number;
  standby: number;
  apps: {
    name: string;
    version: string;
    endpoints: { name: string; url: string; docs: string | null; function: string; kind: string }[];
    functions: (ScalerStatus & FunctionSummary)[];
  }[];
  recent: RequestRecord[];
  history: DeployEntry[];
}

/** The running functions and standby count, for the metrics' gauges. */
export function livePools(source: Pick<DashboardSource, "versions" | "standby">): { functions(): { app: string; status: ScalerStatus }[]; standby(): number } {
  return {
    functions: () => source.versions().flatMap(({ version }) => version.status().functions.map((status) => ({ app: version.app, status }))),
    standby: () => source.standby(),
  };
}

export function snapshot(source: DashboardSource): Snapshot {
  return {
    mode: source.mode,
    time: Date.now(),
    standby: source.standby(),
    apps: source.versions().map(({ version, label }) => ({
      name: version.app,
      version: label,
      endpoints: version.endpointViews().map((e) => {
        const url = source.url(e.label);
        return { name: e.name, url, docs: e.docs ? `${url}/docs` : null, function: e.function, kind: e.kind };
      }),
      functions: version.status().functions.map((f) => ({ ...f, ...source.telemetry.summary(version.app, f.name) })),
    })),
    recent: source.telemetry.recentRequests().reverse(),
    history: source.history?.() ?? [],
  };
}

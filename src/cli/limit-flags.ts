/**
 * The gateway's limit flags (`--max-body-mb`, `--headers-timeout-ms`, `--body-timeout-ms`), shared by the commands that
 * run a gateway: their parseArgs entries and their parsing. Unset flags keep the gateway defaults.
 */
import type { EdgeLimits } from "../shared/limits.ts";
import { UsageError } from "./command-kit.ts";

export const LIMIT_FLAGS = {
  "max-body-mb": { type: "string", value: "MB", help: "largest request body the gateway accepts, in MiB, else 413 (default 100)" },
  "headers-timeout-ms": { type: "string", value: "MS", help: "time a client gets to send its request headers, else 408 (default 10000)" },
  "body-timeout-ms": { type: "string", value: "MS", help: "longest wait for the next piece of a request body, else 408 (default 60000)" },
  "max-connections": { type: "string", value: "N", help: "client connections the gateway holds at once; the oldest idle one closes first (default 10000)" },
  "max-connections-per-ip": { type: "string", value: "N", help: "client connections one address may hold (default 1000)" },
} as const;

type LimitValues = { [K in keyof typeof LIMIT_FLAGS]?: string | undefined };

/** A positive whole number given to `--flag`, or a usage error naming it. */
function count(flag: string, value: string, unit: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new UsageError(`--${flag} ${value} is not a positive number of ${unit}`);
  return Number(value);
}

export function parseLimitFlags(values: LimitValues): Partial<EdgeLimits> {
  const limits: Partial<EdgeLimits> = {};
  const mb = values["max-body-mb"];
  if (mb !== undefined) {
    const n = Number(mb);
    if (!/^\d+(\.\d+)?$/.test(mb) || n <= 0) throw new UsageError(`--max-body-mb ${mb} is not a positive number of MiB`);
    limits.maxBodyBytes = Math.floor(n * 1024 * 1024);
  }
  const ms = values["headers-timeout-ms"];
  if (ms !== undefined) {
    if (!/^\d+$/.test(ms) || Number(ms) === 0) throw new UsageError(`--headers-timeout-ms ${ms} is not a positive number of milliseconds`);
    limits.headersTimeoutMs = Number(ms);
  }
  const body = values["body-timeout-ms"];
  if (body !== undefined) limits.bodyTimeoutMs = count("body-timeout-ms", body, "milliseconds");
  const conns = values["max-connections"];
  if (conns !== undefined) limits.maxConnections = count("max-connections", conns, "connections");
  const perIp = values["max-connections-per-ip"];
  if (perIp !== undefined) limits.maxConnectionsPerIp = count("max-connections-per-ip", perIp, "connections");
  return limits;
}

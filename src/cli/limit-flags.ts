/**
 * The gateway's limit flags (`--max-body-mb`, `--headers-timeout-ms`), shared by the commands that
 * run a gateway: their parseArgs entries and their parsing. Unset flags keep the gateway defaults.
 */
import type { EdgeLimits } from "../shared/limits.ts";
import { UsageError } from "./command-kit.ts";

export const LIMIT_FLAGS = {
  "max-body-mb": { type: "string", value: "MB", help: "largest request body the gateway accepts, in MiB, else 413 (default 100)" },
  "headers-timeout-ms": { type: "string", value: "MS", help: "time a client gets to send its request headers, else 408 (default 10000)" },
} as const;

export function parseLimitFlags(values: { "max-body-mb"?: string | undefined; "headers-timeout-ms"?: string | undefined }): Partial<EdgeLimits> {
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
  return limits;
}

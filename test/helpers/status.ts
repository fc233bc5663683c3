/** Reads the gateway's status page (`http://wharf.localhost/status`). */
import type { Served } from "./serve.ts";

export interface FunctionStatus {
  name: string;
  containers: number;
  starting: number;
  inFlight: number;
  queued: number;
  backingOff: boolean;
  totals: { requests: number; rejected: number; started: number; stopped: number; crashed: number };
}

export async function functionStatus(served: Served, name: string): Promise<FunctionStatus> {
  const status = (await served.request("wharf.localhost", "/status")).json<{ versions: { functions: FunctionStatus[] }[] }>();
  const fn = status.versions.at(-1)?.functions.find((f) => f.name === name);
  if (fn === undefined) throw new Error(`no function ${name} in the status page`);
  return fn;
}

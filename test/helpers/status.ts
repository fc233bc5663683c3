/** Reads the gateway's status page (`http://wharf.localhost/status`). */
import type { ScalerStatus as FunctionStatus } from "../../src/autoscaler/scaler.ts";
import type { Served } from "./serve.ts";

export type { FunctionStatus };

export async function functionStatus(served: Served, name: string): Promise<FunctionStatus> {
  const status = (await served.request("wharf.localhost", "/status")).json<{ versions: { functions: FunctionStatus[] }[] }>();
  const fn = status.versions.at(-1)?.functions.find((f) => f.name === name);
  if (fn === undefined) throw new Error(`no function ${name} in the status page`);
  return fn;
}

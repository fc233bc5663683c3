/**
 * Pod mode of the runtime agent (docs/kubernetes.md): on Kubernetes there is no platform process
 * beside the container to send `start`, so the agent reads its function from the environment the
 * rendered Deployment sets, fetches the version's bundle from the control plane (authenticated,
 * checked against its SHA-256: the bundle is content-addressed), and serves on `WHARF_PORT`.
 *
 * The pod's port is reachable by anything on the cluster's network, so every request but the
 * readiness probe must carry the pod key (the bundle token) that the gateway adds; without it the
 * answer is 403 and the function never sees the request. `POST /.wharf/retire` (with the key)
 * makes the readiness probe fail, so the ReplicaSet removes this pod first when the gateway then
 * lowers the replica count (Kubernetes 1.20 has no pod-deletion cost).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent, Gate } from "./agent.ts";

/** The header the gateway sends the pod key in (stripped before the function sees the request). */
export const POD_KEY_HEADER = "x-wharf-pod-key";
export const READY_PATH = "/.wharf/ready";
export const RETIRE_PATH = "/.wharf/retire";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set: a pod's environment comes from the Deployment Wharf renders`);
  return value;
}

/** Downloads the bundle and checks it is the one named; returns where it was written. */
async function fetchBundle(url: string, sha256: string, token: string): Promise<string> {
  const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!answer.ok) throw new Error(`the bundle download from ${url} answered ${answer.status}`);
  const bytes = Buffer.from(await answer.arrayBuffer());
  const got = createHash("sha256").update(bytes).digest("hex");
  if (got !== sha256) throw new Error(`the bundle from ${url} has SHA-256 ${got}, not ${sha256}: refusing to run it`);
  const path = join(tmpdir(), `wharf-bundle-${sha256}.mjs`);
  writeFileSync(path, bytes, { mode: 0o600 });
  return path;
}

export function podGate(agent: Agent, key: string): Gate {
  const expected = Buffer.from(key);
  let retired = false;
  const keyed = (req: IncomingMessage): boolean => {
    const given = req.headers[POD_KEY_HEADER];
    if (typeof given !== "string") return false;
    const bytes = Buffer.from(given);
    const ok = bytes.length === expected.length && timingSafeEqual(bytes, expected);
    delete req.headers[POD_KEY_HEADER];
    for (let i = req.rawHeaders.length - 2; i >= 0; i -= 2) {
      if (req.rawHeaders[i]?.toLowerCase() === POD_KEY_HEADER) req.rawHeaders.splice(i, 2);
    }
    return ok;
  };
  const reply = (res: ServerResponse, status: number, text: string): true => {
    res.writeHead(status, { "content-type": "text/plain" }).end(text);
    return true;
  };
  return {
    answer(req, res) {
      const path = (req.url ?? "/").split("?")[0];
      if (path === READY_PATH) return agent.started && !retired ? reply(res, 200, "ready\n") : reply(res, 503, retired ? "retired\n" : "starting\n");
      if (!keyed(req)) {
        req.resume();
        return reply(res, 403, "wharf: this pod answers the Wharf gateway only\n");
      }
      if (path === RETIRE_PATH && req.method === "POST") {
        retired = true;
        return reply(res, 204, "");
      }
      return false;
    },
    allows: keyed,
  };
}

export async function servePod(agent: Agent): Promise<void> {
  const url = required("WHARF_BUNDLE_URL");
  const sha256 = required("WHARF_BUNDLE_SHA256");
  const token = required("WHARF_BUNDLE_TOKEN");
  const fn = required("WHARF_FUNCTION");
  const port = Number(required("WHARF_PORT"));
  agent.gate = podGate(agent, token);
  process.on("SIGTERM", () => void agent.stop(25_000));
  const bundle = await fetchBundle(url, sha256, token);
  // The pod key is the platform's, not the app's: the function's code never reads it.
  delete process.env["WHARF_BUNDLE_TOKEN"];
  await agent.start({ type: "start", bundle, function: fn, socket: "", cwd: tmpdir(), env: {} }, { port, host: "0.0.0.0" });
  console.log(`wharf: ${fn} serving on port ${port}`);
}

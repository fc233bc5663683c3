/**
 * Idle memory: the resident memory (VmRSS) of every runtime agent under a `wharf serve`, next to
 * a bare Node http server's after it has served as many requests as the resident container.
 */
import { agentsUnder, rssKiB } from "./agents.mjs";
import { HELLO, timedGet } from "./http.mjs";
import { startBareNode } from "./targets.mjs";

/** Returns { agents: [{ pid, role, fn, rssKiB }], bareKiB, gatewayKiB, failures: string[] }. */
export async function idleMemory({ root, app, host, requests, settleMs = 500 }) {
  const failures = [];
  const serve = async (port, hostHeader, what) => {
    for (let i = 0; i < requests; i++) {
      const r = await timedGet({ port, host: hostHeader });
      if (r.status !== 200 || r.body !== HELLO) failures.push(`${what}: ${r.status ?? r.error}`);
    }
  };
  await serve(app.port, host, "resident container");
  const bare = await startBareNode(root);
  try {
    await serve(bare.port, undefined, "bare node");
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return { agents: agentsUnder(app.proc.pid), bareKiB: rssKiB(bare.procs[0].pid), gatewayKiB: rssKiB(app.proc.pid), failures };
  } finally {
    for (const proc of bare.procs) await proc.stop();
  }
}

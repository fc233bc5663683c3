/**
 * Scale-from-zero: for each sample, wait until a function has no container (status page), wait
 * until the runtime agents are quiet (the standby that the previous cold start used has been
 * replaced and warmed, so every sample finds the standby the design promises), then time one GET
 * on a fresh connection to the last byte, then one more GET to the now-warm container.
 * Cycling through several functions lets one scale down while the others are measured.
 */
import { waitAgentsQuiet } from "./agents.mjs";
import { atZero, HELLO, timedGet, waitForStatus } from "./http.mjs";

const STANDBY = 2; // LocalBackend's default standby

/**
 * Returns { cold: ms[], warm: ms[], failures: string[], notQuiet: number }. Stops early (with a
 * failure noted) when `deadline` (epoch ms) passes.
 */
export async function coldStarts({ app, status, functions, samples, deadline, progress }) {
  const cold = [];
  const warm = [];
  const failures = [];
  let notQuiet = 0;
  for (let i = 0; i < samples; i++) {
    if (Date.now() > deadline) {
      failures.push(`stopped after ${i} samples: the phase's time budget ran out`);
      break;
    }
    const fn = functions[i % functions.length];
    const host = app.hosts.get(fn);
    try {
      await waitForStatus(status, (s) => atZero(s.get(fn)), `${fn} scaled to zero`, 15_000);
      if (!(await waitAgentsQuiet(app.proc.pid, STANDBY, { timeoutMs: 3000 }))) notQuiet++;
    } catch (err) {
      failures.push(`${fn}: ${err.message}`);
      continue;
    }
    const first = await timedGet({ port: app.port, host });
    const second = await timedGet({ port: app.port, host });
    for (const [r, into] of [[first, cold], [second, warm]]) {
      if (r.status === 200 && r.body === HELLO) into.push(r.ms);
      else failures.push(`${fn}: ${r.status === null ? r.error : `${r.status} ${String(r.body).slice(0, 120)}`}`);
    }
    if (i % 10 === 9) progress(`cold start: ${i + 1}/${samples}`);
  }
  return { cold, warm, failures, notQuiet };
}

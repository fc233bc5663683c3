/**
 * The burst: `count` GETs at once, each on its own fresh connection, to a function at zero, while
 * the status page is polled for the number of containers. Returns
 * { latencies: ms[], statuses: Map status → n, errors: Map message → n, wallMs, peakContainers,
 *   peakWithStarting, started }.
 */
import { HELLO, timedGet } from "./http.mjs";

export async function burst({ port, host, status, fn, count, pollMs = 25 }) {
  const before = (await status.read()).get(fn);
  let peakContainers = 0;
  let peakWithStarting = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        const f = (await status.read()).get(fn);
        if (f !== undefined) {
          peakContainers = Math.max(peakContainers, f.containers);
          peakWithStarting = Math.max(peakWithStarting, f.containers + f.starting);
        }
      } catch {
        // a missed poll only lowers the peak's resolution
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();

  const began = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => timedGet({ port, host, timeoutMs: 60_000 })));
  const wallMs = performance.now() - began;
  polling = false;
  await poller;
  const after = (await status.read()).get(fn);

  const statuses = new Map();
  const errors = new Map();
  const latencies = [];
  for (const r of results) {
    if (r.status === null) errors.set(r.error, (errors.get(r.error) ?? 0) + 1);
    else {
      const key = r.status === 200 && r.body !== HELLO ? "200 (unexpected body)" : String(r.status);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    if (r.status === 200 && r.body === HELLO) latencies.push(r.ms);
  }
  return {
    latencies,
    statuses,
    errors,
    wallMs,
    peakContainers,
    peakWithStarting,
    started: (after?.totals.started ?? 0) - (before?.totals.started ?? 0),
  };
}

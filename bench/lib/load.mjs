/**
 * Runs one load phase in a separate process (bench/lib/load-worker.mjs) and returns its figures:
 * { ok, non2xx, errors, timeouts, seconds, rps, p50, p99, statusCodes }. Bounded: the worker is
 * stopped if it outlives its phase by more than a few seconds.
 */
import { fileURLToPath } from "node:url";
import { startProcess } from "./processes.mjs";

const WORKER = fileURLToPath(new URL("./load-worker.mjs", import.meta.url));

/** @param {{ url: string, host?: string, connections: number, warmupS: number, durationS: number }} config */
export async function runLoad(config) {
  const worker = await startProcess({ name: "load generator", command: process.execPath, args: [WORKER, JSON.stringify(config)] });
  const limitMs = (config.warmupS + config.durationS) * 1000 + 15_000;
  let timer;
  try {
    const outcome = await Promise.race([
      worker.exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve("timeout"), limitMs); }),
    ]);
    if (outcome === "timeout") throw new Error(`the load generator did not finish within ${limitMs / 1000} s`);
    const last = worker.tail(200).split("\n").reverse().find((line) => line.startsWith("{"));
    if (outcome.code !== 0 || last === undefined) {
      throw new Error(`the load generator failed (${outcome.signal ?? `code ${outcome.code}`}):\n${worker.tail()}`);
    }
    return JSON.parse(last);
  } finally {
    clearTimeout(timer);
    await worker.stop();
  }
}

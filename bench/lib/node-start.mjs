/** `node -e 0`, spawned and waited for, one at a time: the cost of starting a fresh Node process. */
import { spawn } from "node:child_process";

/** Wall times in ms from spawn to exit of `runs` sequential `node -e 0` (the same node binary). */
export async function nodeStartTimes(runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    const outcome = await new Promise((resolve) => {
      const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("error", (err) => { clearTimeout(timer); resolve(err); });
      child.once("exit", (code, signal) => { clearTimeout(timer); resolve(code === 0 ? undefined : new Error(`node -e 0 exited with ${signal ?? code}`)); });
    });
    if (outcome instanceof Error) throw outcome;
    times.push(performance.now() - began);
  }
  return times;
}

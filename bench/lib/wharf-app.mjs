/**
 * `wharf serve FILE --port 0` for an app of several functions: waits for every function's
 * address line and returns { proc, port, hosts: Map name → Host header, timings }. `timings`
 * collects the `[timing]` lines printed after start (WHARF_TIMING=1) as { fn, what, ms };
 * `containerFunctions` maps container ids to their function ("container c3 of cold2 started").
 */
import { join } from "node:path";
import { startProcess } from "./processes.mjs";

const ADDRESS = /web function (\S+) => http:\/\/([^\s/:]+):(\d+)/;

export async function startWharfApp(root, file, { lastFunction, env = {} }) {
  const proc = await startProcess({
    name: `wharf serve ${file}`,
    command: process.execPath,
    args: [join(root, "bin/wharf.js"), "serve", file, "--port", "0", "--quiet"],
    cwd: root,
    env,
    ready: new RegExp(`web function ${lastFunction} => http://[^\\s/:]+:\\d+`),
    timeoutMs: 60_000,
  });
  const hosts = new Map();
  const containerFunctions = new Map();
  const started = (line) => {
    const m = /container (\S+) of (\S+) started/.exec(line);
    if (m !== null) containerFunctions.set(m[1], m[2]);
  };
  let port;
  for (const line of proc.tail(200).split("\n")) {
    started(line);
    const m = ADDRESS.exec(line);
    if (m === null) continue;
    hosts.set(m[1], `${m[2]}:${m[3]}`);
    port = Number(m[3]);
  }
  const timings = [];
  for (const stream of [proc.child.stdout, proc.child.stderr]) {
    let partial = "";
    stream.on("data", (chunk) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const raw of parts) {
        const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
        started(line);
        // "[timing] cold0: container start took 3.8 ms" (gateway) or "[cold0] [timing] start → ready 0.9 ms" (agent)
        const gateway = /\[timing\] (\S+): container start took ([\d.]+) ms/.exec(line);
        if (gateway !== null) timings.push({ fn: gateway[1], what: "container start", ms: Number(gateway[2]) });
        const agent = /\[(\S+)\] \[timing\] start → ready ([\d.]+) ms/.exec(line);
        if (agent !== null) timings.push({ fn: agent[1], what: "agent start → ready", ms: Number(agent[2]) });
      }
    });
  }
  return { proc, port, hosts, timings, containerFunctions };
}

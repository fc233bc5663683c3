/**
 * The runtime agent processes under a `wharf serve` (Linux /proc): which are containers and which
 * are idle standby agents, their resident memory and CPU time.
 *
 * A container started through `unshare --net` is the same pid (unshare execs node). A standby
 * agent's command line is `node …/dist/agent.js`; once started for a function, the agent sets its
 * title, so its command line reads `wharf-agent FUNCTION`. In the sandbox (docs/isolation.md), each
 * agent is the child of a small bubblewrap process (role "sandbox"), counted apart.
 */
import { readFileSync, readdirSync } from "node:fs";

/** [{ pid, role: "container" | "standby", fn?: function name, rssKiB, cpuTicks }] for every agent below rootPid. */
export function agentsUnder(rootPid) {
  return descendants(rootPid)
    .map((pid) => ({ pid, args: cmdline(pid) }))
    .filter(({ args }) => (args.some((arg) => arg.endsWith("agent.js")) || args[0]?.startsWith("wharf-agent ")) && !args.includes("--check"))
    .map(({ pid, args }) => {
      const fn = /^wharf-agent (\S+)/.exec(args[0] ?? "")?.[1];
      // The sandbox's bubblewrap process (its command line names agent.js too): one per container.
      const role = /(^|\/)bwrap$/.test(args[0] ?? "") ? "sandbox" : fn === undefined ? "standby" : "container";
      return { pid, role, fn, rssKiB: rssKiB(pid), cpuTicks: cpuTicks(pid) };
    })
    .filter((a) => a.rssKiB !== undefined);
}

/** VmRSS of a process in KiB, or undefined when it is gone. */
export function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** utime + stime in clock ticks (usually 10 ms), or undefined when the process is gone. */
export function cpuTicks(pid) {
  const fields = statFields(pid);
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12]);
}

/**
 * Resolves true once no agent under rootPid used CPU for `windowMs` and at least `minStandby` of
 * them are standby (the standby that a start used has been replaced and has warmed up); resolves
 * false instead of waiting past `timeoutMs`.
 */
export async function waitAgentsQuiet(rootPid, minStandby, { windowMs = 150, timeoutMs = 5000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = agentsUnder(rootPid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = agentsUnder(rootPid);
    const busy = after.some((a) => before.find((b) => b.pid === a.pid)?.cpuTicks !== a.cpuTicks);
    if (!busy && after.filter((a) => a.role === "standby").length >= minStandby) return true;
  }
  return false;
}

/** `/proc/PID/stat` fields after `(comm)`: [0] state, [1] ppid, …, [11] utime, [12] stime. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

function descendants(root) {
  let parents;
  try {
    parents = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map((d) => [Number(d), Number(statFields(Number(d))?.[1])]);
  } catch {
    return [];
  }
  const found = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = parents.filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** The Unix socket the (only) container under rootPid serves the gateway on (its WHARF_SOCKET). */
export function containerSocket(rootPid) {
  const container = agentsUnder(rootPid).find((a) => a.role === "container");
  if (container === undefined) throw new Error("no container is running under wharf");
  const env = readFileSync(`/proc/${container.pid}/environ`, "utf8").split("\0");
  const socket = env.find((e) => e.startsWith("WHARF_SOCKET="))?.slice("WHARF_SOCKET=".length);
  if (socket === undefined) throw new Error(`container ${container.pid} has no WHARF_SOCKET in its environment`);
  return socket;
}

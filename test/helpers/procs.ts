/**
 * Processes as /proc shows them, for tests that prove nothing is left running.
 */
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface ProcInfo {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  cmdline: string;
}

/** One process as /proc shows it, or undefined once it is gone. */
export function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const [state = "", ppid = "", pgid = ""] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, state, ppid: Number(ppid), pgid: Number(pgid), cmdline };
  } catch {
    return undefined;
  }
}

export function allProcesses(): ProcInfo[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => procInfo(Number(name)))
    .filter((p): p is ProcInfo => p !== undefined);
}

/** Running: exists and is not a zombie (a zombie has exited and only waits to be reaped). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
  const info = procInfo(pid);
  return info !== undefined && info.state !== "Z";
}

/** Waits (bounded) for every pid to stop running; returns those still running. */
export async function survivors(pids: number[], withinMs = 5000): Promise<number[]> {
  for (let i = 0; i < withinMs / 50; i++) {
    if (!pids.some(running)) return [];
    await sleep(50);
  }
  return pids.filter(running);
}

/**
 * The containers a CLI started (its children running the agent, not `--check` ones), every
 * process in their groups and below them, and the Python servers among those.
 */
export function containerTree(cliPid: number): { groups: Set<number>; started: Set<number>; pythons: ProcInfo[] } {
  const before = allProcesses();
  // Agents: `node …/dist/agent.js` while standby, `wharf-agent FUNCTION` once started.
  const agents = before.filter((p) => p.ppid === cliPid && (p.cmdline.includes("dist/agent.js") || p.cmdline.startsWith("wharf-agent ")) && !p.cmdline.includes("--check"));
  const groups = new Set(agents.map((a) => a.pid));
  const started = new Set(before.filter((p) => groups.has(p.pgid)).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of before) if (started.has(p.ppid) && !started.has(p.pid)) { started.add(p.pid); grew = true; }
  }
  const pythons = before.filter((p) => started.has(p.pid) && p.cmdline.includes("http.server 8000"));
  return { groups, started, pythons };
}

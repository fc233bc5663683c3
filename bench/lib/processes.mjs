/**
 * Child processes for the benchmark: each starts as the leader of its own process group, its
 * output is always drained (a full pipe would stall it), and `stop()` ends the whole tree —
 * SIGTERM to the group, SIGKILL after a grace period, then SIGKILL to any descendant that had
 * moved to a group of its own (wharf's containers do) and outlived its parent.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";

/** Every process started here and not yet stopped; `killAllSync` is the last resort on exit. */
const live = new Set();
/** Set by `stopAll`: from then on nothing new starts (a run being interrupted must not go on). */
let closing = false;

/**
 * Starts `command args` and waits until a line of its output matches `ready` (when given).
 * Resolves to { child, match, pid, tail(), exited, stop() }; rejects (after stopping the process)
 * if it exits or times out first.
 */
export async function startProcess({ name, command, args, cwd, env, ready, timeoutMs = 20_000 }) {
  if (closing) throw new Error(`not starting ${name}: the benchmark is stopping`);
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const lines = [];
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const handle = {
    name,
    child,
    pid: child.pid,
    exited,
    match: undefined,
    tail: (n = 15) => lines.slice(-n).join("\n"),
    stopping: undefined,
    stop: () => (handle.stopping ??= stopProcess(handle)),
  };
  live.add(handle);
  const spawnFailed = new Promise((_, reject) => child.once("error", reject));

  let onLine = () => {};
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const raw of parts) {
        const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
        lines.push(line);
        if (lines.length > 200) lines.shift();
        onLine(line);
      }
    });
  }
  if (ready === undefined) return handle;

  let timer;
  try {
    handle.match = await Promise.race([
      new Promise((resolve) => {
        onLine = (line) => {
          const m = ready.exec(line);
          if (m !== null) resolve(m);
        };
      }),
      exited.then(({ code, signal }) => {
        throw new Error(`${name} exited before it was ready (${signal ?? `code ${code}`}):\n${handle.tail()}`);
      }),
      spawnFailed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} was not ready within ${timeoutMs} ms:\n${handle.tail()}`)), timeoutMs);
      }),
    ]);
    return handle;
  } catch (err) {
    await handle.stop();
    throw err;
  } finally {
    clearTimeout(timer);
    onLine = () => {};
  }
}

async function stopProcess(handle, graceMs = 5000) {
  const { child } = handle;
  const descendants = child.pid === undefined ? [] : descendantsOf(child.pid);
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    signalGroup(child.pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), graceMs);
    await handle.exited;
    clearTimeout(timer);
  }
  if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL"); // anything left in the group
  // Descendants in their own groups get the same grace to be stopped by their parent.
  const deadline = Date.now() + graceMs;
  while (descendants.some(isStillRunning) && Date.now() < deadline) await sleep(50);
  for (const d of descendants.filter(isStillRunning)) {
    signalGroup(d.pgid, "SIGKILL");
    signal(d.pid, "SIGKILL");
  }
  live.delete(handle);
}

/** Stops every process still running, in reverse start order. */
export async function stopAll() {
  closing = true;
  for (const handle of [...live].reverse()) await handle.stop();
}

/** Synchronous last resort (process `exit`): SIGKILL each live group and its known descendants. */
export function killAllSync() {
  for (const handle of live) {
    if (handle.pid === undefined) continue;
    const descendants = descendantsOf(handle.pid);
    signalGroup(handle.pid, "SIGKILL");
    for (const d of descendants) signalGroup(d.pgid, "SIGKILL");
  }
  live.clear();
}

/** Resolves once something accepts TCP connections on host:port. */
export async function waitForPort(host, port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ host, port });
      socket.once("connect", () => { socket.destroy(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Our own group: never signalled, whatever a descendant's stat says. */
const OWN_GROUP = readStat(process.pid)?.pgid;

function signalGroup(pgid, sig) {
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === OWN_GROUP) return;
  signal(-pgid, sig);
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** /proc/PID/stat fields after the `(comm)`: state, ppid, pgrp, …, starttime (field 22). */
function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/** All live descendants of `root` (Linux /proc; an empty list elsewhere). */
function descendantsOf(root) {
  let all;
  try {
    all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readStat(Number(d))).filter((s) => s !== undefined);
  } catch {
    return [];
  }
  const found = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = all.filter((s) => frontier.includes(s.ppid));
    found.push(...next);
    frontier = next.map((s) => s.pid);
  }
  return found;
}

/** How many live descendants of `pid` have a command line containing `text`. */
export function countDescendants(pid, text) {
  return descendantsOf(pid).filter((d) => {
    try {
      return readFileSync(`/proc/${d.pid}/cmdline`, "utf8").includes(text);
    } catch {
      return false;
    }
  }).length;
}

/** Same pid, same start time (not a reused pid), and not a zombie. */
function isStillRunning(d) {
  const now = readStat(d.pid);
  return now !== undefined && now.start === d.start && now.state !== "Z";
}

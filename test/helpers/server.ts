/**
 * Starts the real `wharf server --port 0 --admin-port 0` on a temp data dir and runs the CLI's
 * client commands against it. Every server carries a tag in its environment, inherited by every
 * process it starts, so a test can find what it left behind (`processesTagged`). The tag rides in
 * PATH too (a directory that does not exist, last): a server's containers get PATH, HOME and
 * NODE_ENV of its environment and nothing else of it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostRequest, stopper, watchLines } from "./process.ts";
import { CLI, ROOT, type Answer, type RequestInit } from "./serve.ts";

export { watchLines };

export interface Cli {
  code: number | null;
  output: string;
}

export interface Server {
  proc: ChildProcess;
  data: string;
  tag: string;
  port: number;
  adminPort: number;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  request(host: string, path?: string, init?: RequestInit): Promise<Answer>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDataDir(prefix = "wharf-data-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `wharf ARGS --data DIR` to completion. */
export function cli(data: string, args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<Cli> {
  const proc = spawn(process.execPath, [CLI, ...args, "--data", data], { cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  return new Promise((done) => proc.on("close", (code) => { clearTimeout(timer); done({ code, output }); }));
}

export async function startServer(data: string, opts: { args?: string[]; tag?: string; env?: Record<string, string> } = {}): Promise<Server> {
  const tag = opts.tag ?? randomBytes(6).toString("hex");
  const proc = spawn(process.execPath, [CLI, "server", "--port", "0", "--admin-port", "0", "--data", data, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", WHARF_TEST_TAG: tag, PATH: `${process.env["PATH"] ?? ""}:${tagDir(tag)}`, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { lines, waitFor, exited } = watchLines(proc, "server");
  const port = Number(/gateway http:\/\/\S+:(\d+)/.exec(await waitFor(/✓ gateway http:/))?.[1]);
  const adminPort = Number(/admin API http:\/\/\S+:(\d+)/.exec(await waitFor(/✓ admin API http:/))?.[1]);
  await waitFor(/^wharf server ready$/, 60_000);
  const request = hostRequest(port);
  const stop = stopper(proc, exited);
  return { proc, data, tag, port, adminPort, lines, waitFor, request, exited, stop };
}

const tagDir = (tag: string): string => `/nonexistent/wharf-test-tag-${tag}`;

/** Pids of live processes whose environment carries the tag (`WHARF_TEST_TAG=tag`, or in PATH). */
export function processesTagged(tag: string): number[] {
  const needle = `${tagDir(tag)}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle) && !isZombie(entry)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function isZombie(pid: string): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, "latin1").replace(/^.*\)/, ""));
  } catch {
    return true;
  }
}

/** Lines of `text` matching `pattern`. */
export function count(lines: readonly string[], pattern: RegExp): number {
  return lines.filter((l) => pattern.test(l)).length;
}

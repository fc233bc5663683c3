/**
 * Starts the real `wharf server --port 0 --admin-port 0` on a temp data dir and runs the CLI's
 * client commands against it. Every server carries a tag in its environment, inherited by every
 * process it starts, so a test can find what it left behind (`processesTagged`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { request as undiciRequest } from "undici";
import { CLI, ROOT, type Answer, type RequestInit } from "./serve.ts";

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

/** Follows a child's output line by line. */
export function watchLines(proc: ChildProcess, name: string) {
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      if (process.env["WHARF_TEST_VERBOSE"] === "1") console.log(`[${name}] ${line}`);
      for (const l of listeners) l(line);
    });
  }
  const exited = new Promise<number | null>((done) => proc.on("exit", (code) => done(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((done, fail) => {
      const finish = (error?: Error, line?: string): void => {
        clearTimeout(timer);
        listeners.delete(listener);
        if (error === undefined) done(line ?? "");
        else fail(error);
      };
      const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs}ms; output:\n${lines.join("\n")}`)), timeoutMs);
      const listener = (line: string): void => {
        if (pattern.test(line)) finish(undefined, line);
      };
      listeners.add(listener);
      void exited.then(() => {
        if (listeners.has(listener)) finish(new Error(`${name} exited before printing ${pattern}; output:\n${lines.join("\n")}`));
      });
    });
  };
  return { lines, waitFor, exited };
}

export async function startServer(data: string, opts: { args?: string[]; tag?: string; env?: Record<string, string> } = {}): Promise<Server> {
  const tag = opts.tag ?? randomBytes(6).toString("hex");
  const proc = spawn(process.execPath, [CLI, "server", "--port", "0", "--admin-port", "0", "--data", data, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", WHARF_TEST_TAG: tag, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { lines, waitFor, exited } = watchLines(proc, "server");
  const port = Number(/gateway http:\/\/\S+:(\d+)/.exec(await waitFor(/✓ gateway http:/))?.[1]);
  const adminPort = Number(/admin API http:\/\/\S+:(\d+)/.exec(await waitFor(/✓ admin API http:/))?.[1]);
  await waitFor(/^wharf server ready$/, 60_000);
  const request = async (host: string, path = "/", init: RequestInit = {}): Promise<Answer> => {
    const answer = await undiciRequest(`http://127.0.0.1:${port}${path}`, { method: init.method ?? "GET", headers: { host: `${host}:${port}`, ...init.headers }, body: init.body ?? null });
    const text = await answer.body.text();
    return { status: answer.statusCode, headers: answer.headers, text, json: <T>() => JSON.parse(text) as T };
  };
  const stop = async (signal: NodeJS.Signals = "SIGINT"): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    return proc.exitCode;
  };
  return { proc, data, tag, port, adminPort, lines, waitFor, request, exited, stop };
}

/** Pids of live processes whose environment carries `WHARF_TEST_TAG=tag`. */
export function processesTagged(tag: string): number[] {
  const needle = `WHARF_TEST_TAG=${tag}\0`;
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

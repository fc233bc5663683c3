/**
 * Starts the real CLI (`node bin/wharf.js serve FILE --port 0`) and talks to it over loopback.
 * Every process started here is stopped by `stop()` (and by the vitest hook that calls it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { hostRequest, stopper, watchLines, type Answer, type RequestInit } from "./process.ts";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const CLI = resolve(ROOT, "bin", "wharf.js");

export interface Served {
  proc: ChildProcess;
  port: number;
  /** Every line the CLI printed so far (stdout and stderr, in order). */
  lines: string[];
  /** Resolves with the first line (already printed or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** A request to `http://{host}:{port}{path}` via 127.0.0.1 with `Host: host`. */
  request(host: string, path?: string, init?: RequestInit): Promise<Answer>;
  /** Resolves with the exit code once the CLI exits. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export type { Answer, RequestInit };

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; prefix?: string[] } = {}): ChildProcess {
  // `prefix`: a command that runs the CLI, e.g. setpriv as another user (it execs: same pid).
  const [file, ...rest] = [...(opts.prefix ?? []), process.execPath, CLI, ...args];
  return spawn(file!, rest, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI to completion: exit code and all output. */
export function runToEnd(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ code: number | null; output: string }> {
  const proc = runCli(args, opts);
  let output = "";
  proc.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
  return new Promise((done) => proc.on("close", (code) => { clearTimeout(timer); done({ code, output }); }));
}

export async function startServe(file: string, opts: { args?: string[]; cwd?: string; env?: Record<string, string>; prefix?: string[] } = {}): Promise<Served> {
  const proc = runCli(["serve", file, "--port", "0", ...(opts.args ?? [])], opts);
  const { lines, waitFor, exited } = watchLines(proc, "cli");
  const first = await waitFor(/=> http:\/\/\S+:(\d+)/, 20_000);
  const port = Number(/:(\d+)\s*$/.exec(first)?.[1]);
  return { proc, port, lines, waitFor, request: hostRequest(port), exited, stop: stopper(proc, exited) };
}

/**
 * Starts the real CLI (`node bin/wharf.js serve FILE --port 0`) and talks to it over loopback.
 * Every process started here is stopped by `stop()` (and by the vitest hook that calls it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { request as undiciRequest, type Dispatcher } from "undici";

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

export interface RequestInit {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI to completion: exit code and all output. */
export function runToEnd(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; output: string }> {
  const proc = runCli(args, opts);
  let output = "";
  proc.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
  return new Promise((done) => proc.on("close", (code) => { clearTimeout(timer); done({ code, output }); }));
}

export async function startServe(file: string, opts: { args?: string[]; cwd?: string; env?: Record<string, string> } = {}): Promise<Served> {
  const proc = runCli(["serve", file, "--port", "0", ...(opts.args ?? [])], opts);
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      if (process.env["WHARF_TEST_VERBOSE"] === "1") console.log(`[cli] ${line}`);
      for (const l of listeners) l(line);
    });
  }
  const exited = new Promise<number | null>((done) => proc.on("exit", (code) => done(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((done, fail) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        fail(new Error(`no line matching ${pattern} within ${timeoutMs}ms; output:\n${lines.join("\n")}`));
      }, timeoutMs);
      const listener = (line: string): void => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        done(line);
      };
      listeners.add(listener);
      void exited.then(() => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        fail(new Error(`the CLI exited before printing ${pattern}; output:\n${lines.join("\n")}`));
      });
    });
  };
  const first = await waitFor(/=> http:\/\/\S+:(\d+)/);
  const port = Number(/:(\d+)\s*$/.exec(first)?.[1]);
  const request = async (host: string, path = "/", init: RequestInit = {}): Promise<Answer> => {
    const answer = await undiciRequest(`http://127.0.0.1:${port}${path}`, {
      method: init.method ?? "GET",
      headers: { host: `${host}:${port}`, ...init.headers },
      body: init.body ?? null,
    });
    const text = await answer.body.text();
    return {
      status: answer.statusCode,
      headers: answer.headers,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
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
  return { proc, port, lines, waitFor, request, exited, stop };
}

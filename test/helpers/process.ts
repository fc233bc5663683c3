/**
 * Shared pieces of the CLI test harnesses: following a child's output, sending a request with a
 * Host header to a loopback port, stopping a child (SIGINT, then SIGKILL after 15 s).
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { request as undiciRequest, type Dispatcher } from "undici";

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


/** `request(host, path, init)` → a request to `http://127.0.0.1:PORT{path}` with `Host: host:PORT`. */
export function hostRequest(port: number) {
  return async (host: string, path = "/", init: RequestInit = {}): Promise<Answer> => {
    const answer = await undiciRequest(`http://127.0.0.1:${port}${path}`, {
      method: init.method ?? "GET",
      headers: { host: `${host}:${port}`, ...init.headers },
      body: init.body ?? null,
    });
    const text = await answer.body.text();
    return { status: answer.statusCode, headers: answer.headers, text, json: <T>() => JSON.parse(text) as T };
  };
}

/** `stop(signal)` → sends the signal (SIGKILL after 15 s) and resolves with the exit code. */
export function stopper(proc: ChildProcess, exited: Promise<number | null>) {
  return async (signal: NodeJS.Signals = "SIGINT"): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    return proc.exitCode;
  };
}

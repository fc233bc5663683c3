/**
 * Single timed requests for the bench phases that are not throughput runs, and the gateway's
 * status page (`wharf.localhost/status`, docs/decisions.md "Addresses").
 */
import { Agent, request } from "node:http";

/**
 * One GET to 127.0.0.1:port with `Host: host`, timed from before the request is created to the
 * last byte of the body. `agent: false` (the default) means a fresh TCP connection, as a new
 * client would open. Never rejects: failures come back as { status: null, error }.
 */
export function timedGet({ port, host, path = "/", agent = false, timeoutMs = 30_000 }) {
  return new Promise((resolve) => {
    const began = performance.now();
    const fail = (err) => resolve({ status: null, error: err.message, ms: performance.now() - began });
    const req = request({ host: "127.0.0.1", port, path, headers: host === undefined ? {} : { host }, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - began }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", fail);
    req.end();
  });
}

export const HELLO = JSON.stringify({ message: "Hello, world!" });

/** The status page of a running `wharf serve`, polled over one keep-alive connection. */
export function statusReader(port) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    /** Map of function name → { containers, starting, inFlight, queued, totals }. */
    async read() {
      const r = await timedGet({ port, host: `wharf.localhost:${port}`, path: "/status", agent, timeoutMs: 10_000 });
      if (r.status !== 200) throw new Error(`GET /status answered ${r.status ?? r.error}`);
      const functions = JSON.parse(r.body).versions.flatMap((v) => v.functions);
      return new Map(functions.map((f) => [f.name, f]));
    },
    close: () => agent.destroy(),
  };
}

/** Resolves once `test(status)` holds; rejects after timeoutMs. */
export async function waitForStatus(status, test, what, timeoutMs = 15_000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await status.read();
    if (test(now)) return now;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** True when the function has no container, none starting and no work. */
export const atZero = (f) => f !== undefined && f.containers === 0 && f.starting === 0 && f.inFlight === 0 && f.queued === 0;

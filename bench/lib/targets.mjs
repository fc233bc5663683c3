/**
 * The servers under test. Each `start*` resolves to { process(es), port, host? } once the server
 * answers; callers stop them in `finally` blocks (and `stopAll` catches anything missed).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess, waitForPort } from "./processes.mjs";

/** (a) The bare Node hello world: bench/apps/bare-node.mjs, on a TCP port or (`socket`) a Unix socket in a temp dir. */
export async function startBareNode(root, { socket = false } = {}) {
  const dir = socket ? mkdtempSync(join(tmpdir(), "wharf-bench-bare-")) : undefined;
  const socketPath = dir === undefined ? undefined : join(dir, "bare.sock");
  const proc = await startProcess({
    name: "bare node",
    command: process.execPath,
    args: [join(root, "bench/apps/bare-node.mjs")],
    cwd: root,
    env: socketPath === undefined ? { PORT: "0" } : { SOCKET: socketPath },
    ready: /^listening (\S+)$/,
  });
  if (dir !== undefined) {
    const stop = proc.stop;
    proc.stop = async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  return { procs: [proc], port: Number(proc.match[1]), socketPath };
}

/**
 * (b), (c) `wharf serve FILE --port 0 --quiet`, run from the repo root so `wharf` resolves.
 * `--quiet`: the request log lines measure the terminal, not the gateway (bench/observe.mjs
 * measures them); counters and metrics stay on, as for any user.
 */
export async function startWharf(root, file, extraArgs = []) {
  const proc = await startProcess({
    name: `wharf serve ${file} ${extraArgs.join(" ")}`.trim(),
    command: process.execPath,
    args: [join(root, "bin/wharf.js"), "serve", file, "--port", "0", "--quiet", ...extraArgs],
    cwd: root,
    ready: /=> http:\/\/([^\s/:]+):(\d+)/,
    timeoutMs: 30_000,
  });
  return { procs: [proc], port: Number(proc.match[2]), host: `${proc.match[1]}:${proc.match[2]}` };
}

/** The nginx binary, or undefined when it is not installed. */
export function findNginx() {
  try {
    return execFileSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** (d) nginx (1 worker) → the bare Node server, keep-alive to the upstream; config in a temp dir. */
export async function startNginx(nginx, upstreamPort) {
  const dir = mkdtempSync(join(tmpdir(), "wharf-bench-nginx-"));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  # The default (1000) closes each client connection after 1000 requests: a real load would
  # reconnect, but autocannon then miscounts latencies (see load-worker.mjs).
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream node {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://node;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const errorLog = () => {
    try {
      return readFileSync(join(dir, "error.log"), "utf8").trim().split("\n").slice(-10).join("\n");
    } catch {
      return "";
    }
  };
  const proc = await startProcess({ name: "nginx", command: nginx, args: ["-e", join(dir, "error.log"), "-p", dir, "-c", conf, "-g", "daemon off;"] });
  try {
    await Promise.race([
      waitForPort("127.0.0.1", port),
      proc.exited.then(({ code, signal }) => {
        throw new Error(`nginx exited at startup (${signal ?? `code ${code}`}):\n${proc.tail()}\n${errorLog()}`);
      }),
    ]);
  } catch (err) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = proc.stop;
  proc.stop = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { procs: [proc], port, errorLog };
}

/** A port nothing listens on right now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * A real ACME CA for tests: Debian's `pebble` on loopback, with its own TLS certificate made by
 * openssl, validating HTTP-01 challenges on a port the test chooses (the Wharf gateway's), and a
 * tiny DNS server on node:dgram that answers every A query with 127.0.0.1 so pebble's validation
 * lands on this machine. `stop()` ends both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { watchLines } from "./server.ts";
import { makeCa, makeCert } from "./tls.ts";

export interface Pebble {
  proc: ChildProcess;
  /** The ACME directory URL, https://127.0.0.1:PORT/dir. */
  directory: string;
  /** The file holding the CA of pebble's own TLS certificate (for WHARF_ACME_CA_FILE). */
  tlsCaFile: string;
  lines: string[];
  /** A management-interface document, e.g. `/intermediates/0` or `/roots/0` (PEM). */
  management(path: string): Promise<string>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A DNS server answering A 127.0.0.1 for every name (and no records of other types). */
export async function startLoopbackDns(): Promise<{ port: number; queries: string[]; close(): Promise<void> }> {
  const socket: Socket = createSocket("udp4");
  const queries: string[] = [];
  socket.on("message", (msg, peer) => {
    if (msg.length < 12) return;
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      const length = msg[i] ?? 0;
      labels.push(msg.subarray(i + 1, i + 1 + length).toString("latin1"));
      i += length + 1;
    }
    if (i + 5 > msg.length) return;
    const type = msg.readUInt16BE(i + 1);
    queries.push(`${type === 1 ? "A" : type} ${labels.join(".")}`);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    // QR + AA + RA, RD copied from the query; RCODE 0.
    header.writeUInt16BE(0x8480 | (msg.readUInt16BE(2) & 0x0100), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(type === 1 ? 1 : 0, 6);
    const answer = type === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
    socket.send(Buffer.concat([header, msg.subarray(12, i + 5), answer]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, queries, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

export interface PebbleTls {
  /** The CA that signed pebble's TLS certificate: what an ACME client must trust. */
  caFile: string;
  cert: string;
  key: string;
}

/** Pebble's own TLS certificate (for 127.0.0.1), made before pebble starts so a client can be told to trust it. */
export function makePebbleTls(dir: string): PebbleTls {
  const ca = makeCa(dir, "pebble-tls-ca", "/CN=Pebble TLS Test CA");
  const tls = makeCert(dir, "pebble-tls", ["127.0.0.1", "localhost"], ca, 30);
  return { caFile: ca.cert, cert: tls.cert, key: tls.key };
}

/** Starts pebble in `dir`, validating HTTP-01 on 127.0.0.1:`httpPort` (names resolved by `dnsPort`). */
export async function startPebble(dir: string, opts: { httpPort: number; dnsPort: number; tls: PebbleTls }): Promise<Pebble> {
  const { tls } = opts;
  const [port, managementPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, "pebble-config.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.cert,
        privateKey: tls.key,
        httpPort: opts.httpPort,
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  const proc = spawn("pebble", ["-config", config, "-dnsserver", `127.0.0.1:${opts.dnsPort}`], {
    cwd: dir,
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { lines, exited } = watchLines(proc, "pebble");
  const caPem = readFileSync(tls.caFile, "utf8");
  const fetchText = (url: string): Promise<string> =>
    new Promise((resolve, reject) => {
      get(url, { ca: caPem, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => ((res.statusCode ?? 0) === 200 ? resolve(text) : reject(new Error(`${url}: ${res.statusCode} ${text}`))));
      }).on("error", reject);
    });
  const directory = `https://127.0.0.1:${port}/dir`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  for (let i = 0; ; i++) {
    try {
      await fetchText(directory);
      break;
    } catch (err) {
      if (i >= 100 || proc.exitCode !== null) {
        await stop();
        throw new Error(`pebble did not serve ${directory} (${(err as Error).message}); output:\n${lines.join("\n")}`);
      }
      await sleep(100);
    }
  }
  return { proc, directory, tlsCaFile: tls.caFile, lines, management: (path) => fetchText(`https://127.0.0.1:${managementPort}${path}`), stop };
}

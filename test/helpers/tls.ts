/**
 * TLS for tests: a throwaway CA and certificates made with the `openssl` CLI, and HTTPS requests
 * to 127.0.0.1 with a chosen SNI name and Host that report the certificate the server sent.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { connect, type PeerCertificate } from "node:tls";

export interface Pem {
  cert: string;
  key: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A self-signed CA (P-256) in DIR/NAME.crt + DIR/NAME.key. */
export function makeCa(dir: string, name = "ca", subject = "/CN=Wharf Test CA"): Pem {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "30", "-subj", subject]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A server certificate for `names` (the first is its CN) signed by `ca`, in DIR/FILE.crt + DIR/FILE.key. */
export function makeCert(dir: string, file: string, names: string[], ca: Pem, days = 365): Pem {
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  writeFileSync(join(dir, `${file}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(dir, ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${file}.key`, "-out", `${file}.csr`, "-subj", `/CN=${names[0] ?? file}`]);
  openssl(dir, ["x509", "-req", "-in", `${file}.csr`, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", `${file}.crt`, "-days", String(days), "-extfile", `${file}.ext`]);
  return { cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) };
}

export interface HttpsAnswer {
  status: number;
  text: string;
  /** The server certificate the handshake presented. */
  peer: PeerCertificate;
}

/** GET https://127.0.0.1:port{path} with SNI `servername`, `Host: host`, trusting only `ca`. */
export function httpsGet(port: number, servername: string, ca: string | string[], opts: { host?: string; path?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: opts.path ?? "/", servername, ca, agent: false, headers: { host: opts.host ?? servername }, timeout: 10_000 },
      (res) => {
        const peer = (res.socket as unknown as { getPeerCertificate(): PeerCertificate }).getPeerCertificate();
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, peer }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * A bare handshake with SNI `servername` (none when undefined), verifying nothing: the
 * certificate the server chose, or the error that ended the handshake.
 */
export function handshake(port: number, servername: string | undefined): Promise<{ peer: PeerCertificate } | { error: Error }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) });
    const timer = setTimeout(() => socket.destroy(new Error("handshake timed out")), 10_000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      resolve({ peer: socket.getPeerCertificate() });
      socket.end();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      resolve({ error });
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve({ error: new Error("connection closed during the handshake") });
    });
  });
}

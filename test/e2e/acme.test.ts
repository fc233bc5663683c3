/**
 * Certificates from a real ACME CA (Debian's `pebble`, on loopback): `wharf domain add NAME --acme`
 * orders one, pebble validates HTTP-01 by connecting to the Wharf gateway's HTTP port (a test DNS
 * server sends every name to 127.0.0.1), the HTTPS listener serves what pebble issued, and the
 * renewal timer (forced here: every certificate is "due" and checks run every 1.5 s) swaps it for a
 * new one without a restart.
 */
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, makePebbleTls, startLoopbackDns, startPebble, type Pebble } from "../helpers/pebble.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";
import { httpsGet } from "../helpers/tls.ts";

const NAME = "acme.example.test";

describe("ACME certificates (pebble)", () => {
  const temp = tempDataDir("wharf-acme-");
  const data = `${temp.dir}/data`;
  let dns: Awaited<ReturnType<typeof startLoopbackDns>> | undefined;
  let pebble: Pebble | undefined;
  let server: Server | undefined;
  let httpsPort = 0;
  let roots: string[] = [];
  let intermediate: X509Certificate;

  const ca = (): Pebble => {
    if (pebble === undefined) throw new Error("pebble did not start");
    return pebble;
  };
  const wharf = (...args: string[]) => cli(data, args);

  beforeAll(async () => {
    const tls = makePebbleTls(temp.dir);
    dns = await startLoopbackDns();
    server = await startServer(data, {
      args: ["--https-port", "0", "--renew-before-days", "36500"],
      env: { WHARF_ACME_CA_FILE: tls.caFile, WHARF_RENEW_CHECK_MS: "1500" },
    });
    httpsPort = Number(/✓ HTTPS https:\/\/\S+:(\d+)/.exec(await server.waitFor(/✓ HTTPS https:/))?.[1]);
    pebble = await startPebble(temp.dir, { httpPort: server.port, dnsPort: dns.port, tls });
    const deployed = await wharf("deploy", "test/fixtures/tls-domains.ts");
    expect(deployed.code, deployed.output).toBe(0);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await pebble?.stop();
    await dns?.close();
    temp.remove();
  });

  it("orders a certificate over HTTP-01 and serves it over HTTPS", async () => {
    const added = await wharf("domain", "add", NAME, "--acme", "--acme-directory", ca().directory, "--acme-email", "test@example.test");
    expect(added.code, `${added.output}\n--- server:\n${server?.lines.join("\n")}\n--- pebble:\n${ca().lines.join("\n")}`).toBe(0);
    expect(added.output).toMatch(new RegExp(`✓ domain ${NAME}: certificate for ${NAME} issued by Pebble Intermediate CA`));
    // pebble validated the challenge through our DNS and the gateway's HTTP port.
    expect(dns?.queries).toContain(`A ${NAME}`);

    intermediate = new X509Certificate(await ca().management("/intermediates/0"));
    roots = [await ca().management("/roots/0")];
    const answer = await httpsGet(httpsPort, NAME, roots);
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { endpoint: "ordered", host: NAME, proto: "https" }]);
    const served = new X509Certificate(answer.peer.raw);
    expect(served.subjectAltName).toBe(`DNS:${NAME}`);
    expect(served.issuer).toBe(intermediate.subject);
    expect(served.verify(intermediate.publicKey)).toBe(true);

    const list = await wharf("domain", "list");
    expect(list.output).toMatch(new RegExp(`^${NAME.replace(/\./g, "\\.")}\\s+acme\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+(expiring|pending)$`, "m"));
  }, 60_000);

  it("answers only pending challenge tokens: any other token goes to the app", async () => {
    const answer = await server?.request(NAME, "/.well-known/acme-challenge/not-a-pending-token");
    expect([answer?.status, answer?.text]).toEqual([404, '{"detail":"Not Found"}']);
  });

  it("renews a due certificate and serves the new one without a restart", async () => {
    const pid = server?.proc.pid;
    const first = new X509Certificate((await httpsGet(httpsPort, NAME, roots)).peer.raw);
    await server?.waitFor(new RegExp(`domain ${NAME.replace(/\./g, "\\.")}: certificate renewed`), 30_000);
    await expect
      .poll(async () => new X509Certificate((await httpsGet(httpsPort, NAME, roots)).peer.raw).fingerprint256, { timeout: 30_000, interval: 250 })
      .not.toBe(first.fingerprint256);
    const renewed = new X509Certificate((await httpsGet(httpsPort, NAME, roots)).peer.raw);
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
    expect(renewed.verify(intermediate.publicKey)).toBe(true);
    expect(server?.proc.pid).toBe(pid);
    expect(server?.proc.exitCode).toBeNull();
  }, 60_000);

  it("refuses ACME for a wildcard and reports an unreachable directory in one line", async () => {
    const wildcard = await wharf("domain", "add", "*.example.test", "--acme", "--acme-directory", ca().directory);
    expect(wildcard.code).toBe(1);
    expect(wildcard.output).toMatch(/^error: \*\.example\.test is a wildcard: ACME issues wildcards only by DNS-01/m);
    const closed = await freePort();
    const unreachable = await wharf("domain", "add", "down.example.test", "--acme", "--acme-directory", `https://127.0.0.1:${closed}/dir`);
    expect(unreachable.code, unreachable.output).toBe(1);
    const errors = unreachable.output.trim().split("\n").filter((l) => l.startsWith("error: "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/could not get a certificate for down\.example\.test from https:\/\/127\.0\.0\.1:\d+\/dir/);
    expect((await wharf("domain", "list")).output).not.toContain("down.example.test");
  }, 60_000);
});

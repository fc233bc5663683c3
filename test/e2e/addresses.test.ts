import { createHash } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToEnd, startServe, type Served } from "../helpers/serve.ts";

/**
 * Writes `raw` on a fresh TCP connection and resolves with the first response's head and body
 * (a chunked body decoded), once it is complete or the server closes the connection.
 */
function rawExchange(port: number, raw: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const parse = (): { head: string; body: string } | undefined => {
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return undefined;
      const head = received.slice(0, end);
      const rest = received.slice(end + 4);
      if (/\r\ntransfer-encoding: chunked/i.test(head)) {
        let body = "";
        for (let at = 0; ; ) {
          const lineEnd = rest.indexOf("\r\n", at);
          if (lineEnd === -1) return undefined;
          const size = parseInt(rest.slice(at, lineEnd), 16);
          if (size === 0) return { head, body };
          if (rest.length < lineEnd + 2 + size + 2) return undefined;
          body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
          at = lineEnd + 2 + size + 2;
        }
      }
      const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
      if (length !== undefined && rest.length >= Number(length)) return { head, body: rest.slice(0, Number(length)) };
      return undefined;
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const answer = parse();
      if (answer === undefined) return;
      socket.destroy();
      resolve(answer);
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(parse() ?? { head: received, body: "" }));
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(raw);
  });
}

describe("wharf serve examples/custom-domains.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/custom-domains.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  it("keeps serving every endpoint at its label URL", async () => {
    const api = await served.request("custom-domains-apihandler-dev.localhost");
    expect(api.status).toBe(200);
    expect(api.json()).toEqual({ version: "2.0" });
    const www = await served.request("custom-domains-www-dev.localhost");
    expect(www.json()).toEqual({ site: "www.example.org" });
    const tenant = await served.request("custom-domains-tenant-dev.localhost");
    expect(tenant.status).toBe(200);
    expect(tenant.json()).toMatchObject({ version: "2.0" });
  });

  it("routes both exact custom domains to apiHandler, with or without a port, in any case", async () => {
    const hosts = ["api.mycompany.com", "api-v2.mycompany.com", "API.MyCompany.COM", "Api-V2.MYCOMPANY.com"];
    for (const host of hosts) {
      // served.request sends `Host: host:PORT`; the explicit header sends the bare hostname.
      for (const answer of [await served.request(host), await served.request(host, "/", { headers: { host } })]) {
        expect(answer.status, host).toBe(200);
        expect(answer.json(), host).toEqual({ version: "2.0" });
      }
    }
  });

  it("routes a one-level wildcard domain to tenant, which sees the requested host", async () => {
    const answer = await served.request("acme.example.org");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ tenant: "acme", version: "2.0" });
  });

  it("prefers an exact domain over a matching wildcard", async () => {
    const answer = await served.request("www.example.org");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ site: "www.example.org" });
  });

  it("does not let a wildcard match two levels", async () => {
    const answer = await served.request("a.b.example.org");
    expect(answer.status).toBe(404);
    expect(answer.text).toBe("wharf: no web endpoint at a.b.example.org\n");
    expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
  });

  it("answers a request without Host with 400", async () => {
    const { head, body } = await rawExchange(served.port, "GET / HTTP/1.1\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    // A platform error (docs/reference.md §3): text/plain, body starting with "wharf: ".
    expect(head.toLowerCase()).toMatch(/\r\ncontent-type: text\/plain/);
    expect(body).toMatch(/^wharf: /);
  });
});

describe("wharf serve test/fixtures/echo-headers.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/echo-headers.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const HOST = "fixture-echo-headers-dev.localhost";

  it("forwards X-Forwarded-Host, -For and -Proto and keeps Host", async () => {
    const answer = await served.request(HOST);
    expect(answer.status).toBe(200);
    const seen = answer.json<Record<string, string>>();
    expect(seen["host"]).toBe(`${HOST}:${served.port}`);
    expect(seen["x-forwarded-host"]).toBe(`${HOST}:${served.port}`);
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
  });

  it("appends the client to an incoming X-Forwarded-For and replaces spoofed Host/Proto values", async () => {
    const answer = await served.request(HOST, "/", {
      headers: { "x-forwarded-for": "203.0.113.7", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" },
    });
    const seen = answer.json<Record<string, string>>();
    expect(seen["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
    expect(seen["x-forwarded-host"]).toBe(`${HOST}:${served.port}`);
    expect(seen["x-forwarded-proto"]).toBe("http");
  });

  it("never hands proxy-auth credentials to an app, protected or not", async () => {
    const answer = await served.request(HOST, "/", {
      headers: { "modal-key": "wk-abc", "modal-secret": "ws-def", "x-other": "kept" },
    });
    const seen = answer.json<Record<string, string>>();
    expect(seen["modal-key"]).toBeUndefined();
    expect(seen["modal-secret"]).toBeUndefined();
    expect(seen["x-other"]).toBe("kept");
    const bearer = (await served.request(HOST, "/", { headers: { authorization: "Bearer wk-abc.ws-def" } })).json<Record<string, string>>();
    expect(bearer["authorization"]).toBeUndefined();
    const own = (await served.request(HOST, "/", { headers: { authorization: "Bearer app-token" } })).json<Record<string, string>>();
    expect(own["authorization"]).toBe("Bearer app-token");
  });
});

describe("wharf serve test/fixtures/long-name.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/long-name.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  it("serves a default label over 63 characters at its first 56, '-' and 6 hex digits of its SHA-256", async () => {
    const fn = "thisFunctionNameIsDeliberatelyFarTooLongToFitInsideOneDnsLabel";
    // What is asserted: our implementation (src/gateway/labels.ts resolveLabel, called from
    // src/control/plan.ts with dev: true) appends `-dev` BEFORE truncating, so the hashed "full
    // label" is `{app}-{function}-dev` and the served label does not end in `-dev`.
    const full = `fixture-long-name-${fn.toLowerCase()}-dev`;
    expect(full.length).toBeGreaterThan(63);
    const label = `${full.slice(0, 56)}-${createHash("sha256").update(full).digest("hex").slice(0, 6)}`;
    expect(label).toHaveLength(63);
    expect(served.lines).toContain(`✓ web function ${fn} => http://${label}.localhost:${served.port}`);
    const answer = await served.request(`${label}.localhost`);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ served: true });
  });
});

describe("wharf serve refuses bad addresses", () => {
  const refuse = async (file: string): Promise<string> => {
    const { code, output } = await runToEnd(["serve", file, "--port", "0"]);
    expect(code, output).toBe(1);
    const lines = output.trim().split("\n");
    expect(lines, output).toHaveLength(1);
    return lines[0] ?? "";
  };

  it("an invalid label, naming it and the rule", async () => {
    const line = await refuse("examples/broken/bad-label.ts");
    expect(line).toContain('"Bad_Label"');
    expect(line).toContain("hello");
    expect(line).toContain("[a-z0-9-]");
    expect(line).toMatch(/1\.\.63/);
  });

  it("one label claimed twice, naming both functions", async () => {
    const line = await refuse("examples/broken/duplicate-label.ts");
    expect(line).toMatch(/\bfirst\b/);
    expect(line).toMatch(/\bsecond\b/);
    expect(line).toContain("same");
  });

  it("one custom domain claimed twice, naming both functions", async () => {
    const line = await refuse("examples/broken/duplicate-domain.ts");
    expect(line).toMatch(/\bfirst\b/);
    expect(line).toMatch(/\bsecond\b/);
    expect(line).toContain("dup.example.com");
  });
});

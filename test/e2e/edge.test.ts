/**
 * The hardened edge (docs/edge.md), over raw sockets so the gateway sees exactly the bytes written:
 * smuggling attempts, oversized headers and bodies, slow headers and bad Hosts are refused with a
 * `wharf: ` answer, never reach the container (its marker lines prove it), and the gateway keeps
 * serving new connections after each one.
 */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.ts";
import { rawRequest, type RawAnswer, type RawNoAnswer } from "../helpers/raw-http.ts";
import { startServe, type Served } from "../helpers/serve.ts";

const HOST = "edge-marker-dev.localhost";
const MIB = 1024 * 1024;

let served: Served;
beforeAll(async () => {
  served = await startServe("test/fixtures/edge-marker.ts", { args: ["--max-body-mb", "1", "--headers-timeout-ms", "1000"] });
});
afterAll(async () => {
  await served.stop();
});

function expectRefusal(answer: RawAnswer | RawNoAnswer, status: number, body: RegExp): void {
  expect(answer, JSON.stringify(answer)).toMatchObject({ status });
  if (answer.status === undefined) return;
  expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
  expect(answer.body).toMatch(/^wharf: /);
  expect(answer.body).toMatch(body);
}

/** Lines the container printed about `path` (any request or body marker naming it). */
function markersOf(path: string): string[] {
  return served.lines.filter((line) => line.includes("edge-marker:") && line.includes(` ${path}`));
}

/**
 * A normal request on a new connection is served, and its marker is printed. The container runs
 * requests in arrival order, so any refused request that had been forwarded before this one would
 * have printed its marker by now.
 */
async function expectStillServing(tag: string): Promise<void> {
  const path = `/after-${tag}`;
  const answer = await rawRequest(served.port, `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  expect(answer).toMatchObject({ status: 200 });
  if (answer.status !== undefined) expect(JSON.parse(answer.body)).toEqual({ path, bytes: 0 });
  await served.waitFor(new RegExp(`edge-marker: body of ${path} ended`));
}

const head = (tag: string, lines: string[]): string => [`POST /attack-${tag} HTTP/1.1`, `Host: ${HOST}`, ...lines, "", ""].join("\r\n");
const smuggled = (tag: string): string => `GET /smuggled-${tag} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

/**
 * [name, raw request (with a request smuggled after it), what the 400 says, where the framing
 * breaks]. A head that breaks is never forwarded. A body that breaks may have started streaming
 * to the container already (the gateway never buffers bodies): the container then sees that
 * request cut off, never completed; the request smuggled after it never reaches it either way.
 */
type Breaks = "head" | "body";
const SMUGGLING: [string, (tag: string) => string, RegExp, Breaks][] = [
  // Refused by Node's parser (llhttp, strict): answered by the gateway's clientError handler.
  ["Content-Length and Transfer-Encoding", (t) => head(t, ["Content-Length: 5", "Transfer-Encoding: chunked"]) + `0\r\n\r\n${smuggled(t)}`, /Transfer-Encoding/, "head"],
  ["Transfer-Encoding and Content-Length", (t) => head(t, ["Transfer-Encoding: chunked", "Content-Length: 40"]) + `0\r\n\r\n${smuggled(t)}`, /Content-Length/, "head"],
  ["two different Content-Lengths", (t) => head(t, ["Content-Length: 0", `Content-Length: ${smuggled(t).length}`]) + smuggled(t), /more than one Content-Length/, "head"],
  ["two equal Content-Lengths", (t) => head(t, ["Content-Length: 0", "Content-Length: 0"]) + smuggled(t), /more than one Content-Length/, "head"],
  ["a Content-Length list", (t) => head(t, ["Content-Length: 0, 0"]) + smuggled(t), /invalid Content-Length/, "head"],
  ["a chunk size that is not hex", (t) => head(t, ["Transfer-Encoding: chunked"]) + `zz\r\n${smuggled(t)}\r\n0\r\n\r\n`, /invalid chunk size/, "body"],
  ["a 0x chunk size", (t) => head(t, ["Transfer-Encoding: chunked"]) + `0x0\r\n\r\n${smuggled(t)}`, /invalid chunk size/, "body"],
  ["a chunk size that overflows", (t) => head(t, ["Transfer-Encoding: chunked"]) + `10000000000000000\r\n${smuggled(t)}`, /invalid chunk size/, "body"],
  ["a chunk size with trailing space", (t) => head(t, ["Transfer-Encoding: chunked"]) + `0 \r\n\r\n${smuggled(t)}`, /invalid chunk size/, "body"],
  ["chunk data longer than its size", (t) => head(t, ["Transfer-Encoding: chunked"]) + `1\r\nab\r\n0\r\n\r\n${smuggled(t)}`, /chunked body/, "body"],
  ["obs-fold of a header", (t) => head(t, ["Content-Length: 0", "X-Note: one", " two"]) + smuggled(t), /obs-fold/, "head"],
  ["obs-fold of Transfer-Encoding", (t) => head(t, ["Transfer-Encoding:", " chunked"]) + `0\r\n\r\n${smuggled(t)}`, /invalid header line/, "head"],
  ["whitespace before the colon", (t) => head(t, ["Transfer-Encoding : chunked"]) + `0\r\n\r\n${smuggled(t)}`, /invalid header line/, "head"],
  ["bare LF after the request line", (t) => `POST /attack-${t} HTTP/1.1\nHost: ${HOST}\r\nContent-Length: 0\r\n\r\n${smuggled(t)}`, /HTTP version or request line/, "head"],
  ["bare LF after a header", (t) => `POST /attack-${t} HTTP/1.1\r\nHost: ${HOST}\nContent-Length: 0\r\n\r\n${smuggled(t)}`, /bare LF/, "head"],
  ["bare LF after a chunk size", (t) => head(t, ["Transfer-Encoding: chunked"]) + `0\n\r\n${smuggled(t)}`, /bare LF/, "body"],
  ["Transfer-Encoding: chunked, identity", (t) => head(t, ["Transfer-Encoding: chunked, identity"]) + `0\r\n\r\n${smuggled(t)}`, /invalid Transfer-Encoding/, "head"],
  ["Transfer-Encoding: identity", (t) => head(t, ["Transfer-Encoding: identity"]) + smuggled(t), /Transfer-Encoding/, "head"],
  ["Transfer-Encoding: chunked twice", (t) => head(t, ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]) + `0\r\n\r\n${smuggled(t)}`, /invalid Transfer-Encoding/, "head"],
  // Let through by Node's parser (it reads them as chunked): refused by the gateway's own checks.
  ["Transfer-Encoding: identity, chunked", (t) => head(t, ["Transfer-Encoding: identity, chunked"]) + `0\r\n\r\n${smuggled(t)}`, /unsupported Transfer-Encoding "identity, chunked"/, "head"],
  ["Transfer-Encoding: gzip, chunked", (t) => head(t, ["Transfer-Encoding: gzip, chunked"]) + `0\r\n\r\n${smuggled(t)}`, /unsupported Transfer-Encoding "gzip, chunked"/, "head"],
  ["Transfer-Encoding: ,chunked", (t) => head(t, ["Transfer-Encoding: ,chunked"]) + `0\r\n\r\n${smuggled(t)}`, /unsupported Transfer-Encoding/, "head"],
  ["Transfer-Encoding identity then chunked", (t) => head(t, ["Transfer-Encoding: identity", "Transfer-Encoding: chunked"]) + `0\r\n\r\n${smuggled(t)}`, /more than one Transfer-Encoding/, "head"],
  ["Transfer-Encoding in HTTP/1.0", (t) => `POST /attack-${t} HTTP/1.0\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled(t)}`, /Transfer-Encoding in an HTTP\/1\.0 request/, "head"],
];

describe("request smuggling", () => {
  it.each(SMUGGLING.map(([name, build, why, breaks], i) => [name, build, why, breaks, `s${i}`] as const))(
    "refuses %s with 400, forwarding no smuggled request",
    async (_name, build, why, breaks, tag) => {
      expectRefusal(await rawRequest(served.port, build(tag)), 400, why);
      await expectStillServing(tag);
      expect(markersOf(`/smuggled-${tag}`)).toEqual([]);
      const attack = markersOf(`/attack-${tag}`);
      if (breaks === "head") expect(attack).toEqual([]);
      else expect(attack.filter((line) => !/received|cut off/.test(line))).toEqual([]);
    },
  );

  it("does forward a request pipelined after a well-formed chunked one (so the checks above can fail)", async () => {
    const raw = head("pipelined", ["Transfer-Encoding: chunked"]) + `5\r\nhello\r\n0\r\n\r\n` + `GET /second HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
    expect(await rawRequest(served.port, raw)).toMatchObject({ status: 200 });
    await served.waitFor(/edge-marker: received GET \/second/);
    expect(markersOf("/attack-pipelined")).toContain(`[marker] edge-marker: body of /attack-pipelined ended after 5 bytes`);
  });
});

describe("the Host header", () => {
  it.each([
    ["no Host", `GET /attack-h0 HTTP/1.1\r\n\r\n`, /missing Host header/, "h0"],
    ["two Host headers", `GET /attack-h1 HTTP/1.1\r\nHost: ${HOST}\r\nHost: ${HOST}\r\n\r\n`, /more than one Host header/, "h1"],
    ["Host: a b", `GET /attack-h2 HTTP/1.1\r\nHost: a b\r\n\r\n`, /malformed Host header "a b"/, "h2"],
    ["Host: [::1]", `GET /attack-h3 HTTP/1.1\r\nHost: [::1]\r\n\r\n`, /malformed Host header "\[::1\]"/, "h3"],
    ["an empty Host", `GET /attack-h4 HTTP/1.1\r\nHost:\r\n\r\n`, /malformed Host header ""/, "h4"],
    ["Host: a:b:c", `GET /attack-h5 HTTP/1.1\r\nHost: ${HOST}:1:2\r\n\r\n`, /malformed Host header/, "h5"],
    ["an absolute target naming another host", `GET http://other.localhost/attack-h6 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, /names another host/, "h6"],
    ["an asterisk target", `GET * HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, /is not a path/, "h7"],
  ])("refuses %s with 400", async (_name, raw, why, tag) => {
    expectRefusal(await rawRequest(served.port, raw), 400, why);
    await expectStillServing(tag);
    expect(markersOf(`/attack-${tag}`)).toEqual([]);
  });

  it("serves an absolute target naming the Host's own host, forwarding only its path", async () => {
    const answer = await rawRequest(served.port, `GET http://${HOST}:${served.port}/absolute?x=1 HTTP/1.1\r\nHost: ${HOST}:${served.port}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatchObject({ status: 200 });
    if (answer.status !== undefined) expect(JSON.parse(answer.body)).toEqual({ path: "/absolute?x=1", bytes: 0 });
  });

  it("refuses CONNECT with 405", async () => {
    expectRefusal(await rawRequest(served.port, `CONNECT ${HOST}:443 HTTP/1.1\r\nHost: ${HOST}:443\r\n\r\n`), 405, /CONNECT is not supported/);
    await expectStillServing("connect");
  });
});

describe("headers", () => {
  it("refuses headers over 16 KiB with 431", async () => {
    const raw = `GET /attack-big-headers HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`;
    expectRefusal(await rawRequest(served.port, raw), 431, /over the limit of 16 KiB/);
    await expectStillServing("big-headers");
    expect(markersOf("/attack-big-headers")).toEqual([]);
  });

  it("serves headers just under the limit", async () => {
    const raw = `GET /big-but-fine HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${"a".repeat(15 * 1024)}\r\nConnection: close\r\n\r\n`;
    expect(await rawRequest(served.port, raw)).toMatchObject({ status: 200 });
  });

  it("takes its header limit from the gateway's maxHeaderBytes option", async () => {
    const gateway = new Gateway({ verify: () => false, limits: { maxHeaderBytes: 1024 } });
    try {
      const port = await gateway.listen(0, "127.0.0.1");
      const request = (size: number): string => `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${"a".repeat(size)}\r\nConnection: close\r\n\r\n`;
      expectRefusal(await rawRequest(port, request(2048)), 431, /over the limit of 1 KiB/);
      expectRefusal(await rawRequest(port, request(512)), 404, /no web endpoint/);
    } finally {
      await gateway.close();
    }
  });

  it("answers headers that never finish with 408", async () => {
    expectRefusal(await rawRequest(served.port, `GET /attack-slow HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: `), 408, /request headers not received within 1s/);
    await expectStillServing("slow");
    expect(markersOf("/attack-slow")).toEqual([]);
  });
});

/** Writes `total` bytes of chunked body in 64 KiB chunks, pausing for backpressure, until answered. */
function chunkedBody(total: number) {
  return (socket: Socket, answered: () => boolean): void => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    let sent = 0;
    const pump = (): void => {
      while (!answered() && !socket.destroyed) {
        if (sent >= total) {
          socket.write("0\r\n\r\n");
          return;
        }
        sent += chunk.length;
        if (!socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]))) {
          socket.once("drain", pump);
          return;
        }
      }
    };
    pump();
  };
}

describe("request bodies (limit 1 MiB)", () => {
  it("refuses a Content-Length over the limit with 413 before reaching the container", async () => {
    const raw = `POST /attack-too-long HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${2 * MIB}\r\n\r\n` + "x".repeat(1000);
    expectRefusal(await rawRequest(served.port, raw), 413, /over the limit of 1 MiB/);
    await expectStillServing("too-long");
    expect(markersOf("/attack-too-long")).toEqual([]);
  });

  it("refuses it without a 100 Continue when the client asks first", async () => {
    const raw = `POST /attack-expect HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${2 * MIB}\r\nExpect: 100-continue\r\n\r\n`;
    const answer = await rawRequest(served.port, raw);
    expectRefusal(answer, 413, /over the limit/);
    expect(answer).toMatchObject({ interim: [] });
    expect(markersOf("/attack-expect")).toEqual([]);
  });

  it("sends 100 Continue and forwards a body within the limit", async () => {
    const body = "y".repeat(1000);
    const raw = `POST /expect-ok HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    const answer = await rawRequest(served.port, raw, { write: (socket) => socket.once("data", () => socket.write(body)) });
    expect(answer).toMatchObject({ status: 200, interim: [100] });
  });

  it("forwards a Content-Length body of exactly the limit whole", async () => {
    const raw = `POST /exactly HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${MIB}\r\nConnection: close\r\n\r\n` + "z".repeat(MIB);
    const answer = await rawRequest(served.port, raw);
    expect(answer).toMatchObject({ status: 200 });
    if (answer.status !== undefined) expect(JSON.parse(answer.body)).toEqual({ path: "/exactly", bytes: MIB });
  });

  it("forwards a chunked body under the limit whole", async () => {
    const raw = `POST /chunked-ok HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const answer = await rawRequest(served.port, raw, { write: chunkedBody(MIB / 2) });
    expect(answer).toMatchObject({ status: 200 });
    if (answer.status !== undefined) expect(JSON.parse(answer.body)).toEqual({ path: "/chunked-ok", bytes: MIB / 2 });
  });

  it("stops forwarding a chunked body that grows past the limit, answers 413, and the container gets no more than the limit", async () => {
    const raw = `POST /attack-grow HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const answer = await rawRequest(served.port, raw, { write: chunkedBody(8 * MIB) });
    expectRefusal(answer, 413, /over the limit of 1 MiB/);
    const line = await served.waitFor(/edge-marker: body of \/attack-grow (ended|cut off) after \d+ bytes/);
    expect(line).toMatch(/cut off/);
    expect(Number(/after (\d+) bytes/.exec(line)?.[1])).toBeLessThanOrEqual(MIB);
    await expectStillServing("grow");
  });
});

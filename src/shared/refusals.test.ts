import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "./limits.ts";
import { admitRequest, parserRefusal, rawResponse, type RequestHead } from "./refusals.ts";

const LIMITS = { maxBodyBytes: 1000 };
const req = (headers: string[][], extra: Partial<RequestHead> = {}): RequestHead => ({
  httpVersion: "1.1",
  url: "/",
  rawHeaders: headers.flat(),
  ...extra,
});
const HOST = ["Host", "app.localhost:8000"];

describe("admitRequest", () => {
  it("admits a plain request, a Content-Length body and a chunked body", () => {
    expect(admitRequest(req([HOST]), LIMITS)).toEqual({ path: "/" });
    expect(admitRequest(req([HOST, ["Content-Length", "1000"]]), LIMITS)).toEqual({ path: "/" });
    expect(admitRequest(req([HOST, ["Transfer-Encoding", "Chunked"]]), LIMITS)).toEqual({ path: "/" });
  });

  // Node's parser refuses some of these itself; the gateway does not rely on it.
  it.each([
    ["Content-Length with Transfer-Encoding", [HOST, ["Content-Length", "5"], ["Transfer-Encoding", "chunked"]], "Content-Length together with Transfer-Encoding"],
    ["two Transfer-Encodings", [HOST, ["Transfer-Encoding", "identity"], ["transfer-encoding", "chunked"]], "more than one Transfer-Encoding"],
    ["two Content-Lengths", [HOST, ["Content-Length", "5"], ["content-length", "5"]], "more than one Content-Length"],
    ["chunked, identity", [HOST, ["Transfer-Encoding", "chunked, identity"]], 'unsupported Transfer-Encoding "chunked, identity"'],
    ["gzip, chunked", [HOST, ["Transfer-Encoding", "gzip, chunked"]], 'unsupported Transfer-Encoding "gzip, chunked"'],
    ["a Content-Length that is not a number", [HOST, ["Content-Length", "+5"]], 'invalid Content-Length "+5"'],
    ["no Host", [], "missing Host header"],
    ["two Hosts", [HOST, HOST], "more than one Host header"],
    ["Host: a b", [["Host", "a b"]], 'malformed Host header "a b"'],
    ["Host: [::1]", [["Host", "[::1]"]], 'malformed Host header "[::1]"'],
  ])("refuses %s with 400", (_name, headers, message) => {
    expect(admitRequest(req(headers), LIMITS)).toEqual({ refusal: { status: 400, message: expect.stringContaining(message) as unknown } });
  });

  it("refuses Transfer-Encoding in HTTP/1.0", () => {
    expect(admitRequest(req([HOST, ["Transfer-Encoding", "chunked"]], { httpVersion: "1.0" }), LIMITS)).toEqual({
      refusal: { status: 400, message: "wharf: Transfer-Encoding in an HTTP/1.0 request" },
    });
  });

  it("refuses a declared body over the limit with 413, but bad framing or Host first with 400", () => {
    expect(admitRequest(req([HOST, ["Content-Length", "1001"]]), LIMITS)).toEqual({
      refusal: { status: 413, message: "wharf: request body of 1001 bytes is over the limit of 1000 bytes" },
    });
    expect(admitRequest(req([["Content-Length", "1001"]]), LIMITS)).toMatchObject({ refusal: { status: 400 } });
  });

  it.each([
    ["/a?b=1", { path: "/a?b=1" }],
    ["http://app.localhost:8000/a?b=1", { path: "/a?b=1" }],
    ["HTTP://APP.localhost/", { path: "/" }],
    ["http://other.localhost/a", { refusal: { status: 400, message: 'wharf: request target "http://other.localhost/a" names another host than the Host header' } }],
    ["*", { refusal: { status: 400, message: 'wharf: request target "*" is not a path (send one like /)' } }],
  ])("reduces the target %s to a path or refuses it", (url, expected) => {
    expect(admitRequest(req([HOST], { url }), LIMITS)).toEqual(expected);
  });
});

describe("parserRefusal", () => {
  it.each([
    [{ code: "HPE_HEADER_OVERFLOW" }, 431, "wharf: request headers are over the limit of 16 KiB"],
    [{ code: "ERR_HTTP_REQUEST_TIMEOUT" }, 408, "wharf: request headers not received within 10s"],
    [{ code: "HPE_CHUNK_EXTENSIONS_OVERFLOW" }, 413, "wharf: chunk extensions are too large"],
    [{ code: "HPE_INVALID_TRANSFER_ENCODING" }, 400, "(HPE_INVALID_TRANSFER_ENCODING)"],
    [{ code: "HPE_UNEXPECTED_CONTENT_LENGTH" }, 400, "wharf: more than one Content-Length header (HPE_UNEXPECTED_CONTENT_LENGTH)"],
    [{ code: "HPE_SOMETHING_NEW", reason: "Odd thing" }, 400, "wharf: malformed request: Odd thing (HPE_SOMETHING_NEW)"],
    [{}, 400, "wharf: malformed request"],
  ])("%o → %i", (err, status, message) => {
    const refusal = parserRefusal(err, DEFAULT_LIMITS);
    expect(refusal.status).toBe(status);
    expect(refusal.message).toMatch(/^wharf: /);
    expect(refusal.message).toContain(message);
  });
});

describe("rawResponse", () => {
  it("is a complete text/plain response that closes the connection", () => {
    expect(rawResponse({ status: 408, message: "wharf: too slow" })).toBe(
      "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 16\r\nconnection: close\r\n\r\nwharf: too slow\n",
    );
  });
});

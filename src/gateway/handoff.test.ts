import { describe, expect, it } from "vitest";
import { bodylessPlainRequest, parseFirstHead } from "./handoff.ts";

const head = (...lines: string[]): string => lines.join("\r\n");

describe("parseFirstHead", () => {
  it("reads the request line and headers", () => {
    expect(parseFirstHead(head("GET /a?b=1 HTTP/1.1", "Host: app.localhost:8000", "X-Thing:  spaced  "))).toEqual({
      method: "GET",
      url: "/a?b=1",
      httpVersion: "1.1",
      rawHeaders: ["Host", "app.localhost:8000", "X-Thing", "spaced"],
    });
  });

  it.each([
    ["bare LF", "GET / HTTP/1.1\nHost: a"],
    ["bare CR", "GET / HTTP/1.1\rHost: a"],
    ["obs-fold", head("GET / HTTP/1.1", "Host: a", " folded")],
    ["whitespace before the colon", head("GET / HTTP/1.1", "Host : a")],
    ["a control character", head("GET / HTTP/1.1", "Host: a\u0001")],
    ["an absolute target", head("GET http://a/ HTTP/1.1", "Host: a")],
    ["an asterisk target", head("OPTIONS * HTTP/1.1", "Host: a")],
    ["HTTP/2", head("GET / HTTP/2.0", "Host: a")],
    ["a lowercase method", head("get / HTTP/1.1", "Host: a")],
    ["a space in the target", head("GET /a b HTTP/1.1", "Host: a")],
    ["no colon", head("GET / HTTP/1.1", "Host")],
  ])("leaves %s to the normal path", (_name, text) => {
    expect(parseFirstHead(text)).toBeUndefined();
  });
});

describe("bodylessPlainRequest", () => {
  const parsed = (...lines: string[]) => {
    const h = parseFirstHead(head(...lines));
    if (h === undefined) throw new Error("fixture does not parse");
    return h;
  };

  it.each([
    [true, ["GET / HTTP/1.1", "Host: a"]],
    [true, ["DELETE / HTTP/1.1", "Host: a", "Content-Length: 0"]],
    [true, ["GET / HTTP/1.1", "Host: a", "Connection: keep-alive"]],
    [false, ["GET / HTTP/1.0", "Host: a"]],
    [false, ["POST / HTTP/1.1", "Host: a", "Content-Length: 2"]],
    [false, ["POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked"]],
    [false, ["GET / HTTP/1.1", "Host: a", "Content-Length: 0", "Content-Length: 0"]],
    [false, ["POST / HTTP/1.1", "Host: a", "Expect: 100-continue"]],
    [false, ["GET / HTTP/1.1", "Host: a", "Upgrade: websocket", "Connection: Upgrade"]],
    [false, ["GET / HTTP/1.1", "Host: a", "Connection: keep-alive, upgrade"]],
  ])("%s for %j", (expected, lines) => {
    expect(bodylessPlainRequest(parsed(...lines))).toBe(expected);
  });
});

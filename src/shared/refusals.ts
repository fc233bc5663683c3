/**
 * What the edge refuses before a request is routed, and how it says so. Node's parser (llhttp,
 * strict mode) already rejects most malformed framing; `parserRefusal` words its errors.
 * `admitRequest` catches what the parser lets through but a proxy must not forward: framing
 * that a container could read differently than the gateway did (request smuggling), an unusable
 * Host, a request target that is not a path, and a declared body over the limit.
 */
import { STATUS_CODES } from "node:http";
import { DEFAULT_LIMITS, formatBytes, type EdgeLimits } from "./limits.ts";
import { normalizeHost } from "./host.ts";

export interface Refusal {
  status: number;
  /** The whole `text/plain` body, starting with `wharf: `. */
  message: string;
}

/** The parts of a parsed request head the checks read (an `IncomingMessage` has them all). */
export interface RequestHead {
  httpVersion: string;
  method?: string | undefined;
  url?: string | undefined;
  rawHeaders: readonly string[];
}

/** Every value of header `name` (lowercase), in order, as received. */
function values(head: RequestHead, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i]?.toLowerCase() === name) out.push(head.rawHeaders[i + 1] ?? "");
  }
  return out;
}

const bad = (message: string): Refusal => ({ status: 400, message: `wharf: ${message}` });

function framingRefusal(head: RequestHead, maxBodyBytes: number): Refusal | undefined {
  const te = values(head, "transfer-encoding");
  const cl = values(head, "content-length");
  if (te.length > 0 && cl.length > 0) return bad("Content-Length together with Transfer-Encoding (ambiguous body framing)");
  if (te.length > 1) return bad("more than one Transfer-Encoding header");
  if (cl.length > 1) return bad("more than one Content-Length header");
  const coding = te[0]?.trim().toLowerCase();
  if (coding !== undefined) {
    if (head.httpVersion !== "1.1") return bad(`Transfer-Encoding in an HTTP/${head.httpVersion} request`);
    if (coding !== "chunked") return bad(`unsupported Transfer-Encoding ${JSON.stringify(te[0])} (only "chunked" is accepted)`);
  }
  const length = cl[0]?.trim();
  if (length !== undefined) {
    if (!/^[0-9]+$/.test(length)) return bad(`invalid Content-Length ${JSON.stringify(cl[0])}`);
    if (Number(length) > maxBodyBytes) return { status: 413, message: `wharf: request body of ${length} bytes is over the limit of ${formatBytes(maxBodyBytes)}` };
  }
  return undefined;
}

function hostRefusal(head: RequestHead): Refusal | undefined {
  const hosts = values(head, "host");
  if (hosts.length === 0) return bad("missing Host header");
  if (hosts.length > 1) return bad("more than one Host header");
  if (normalizeHost(hosts[0]) === undefined) return bad(`malformed Host header ${JSON.stringify(hosts[0])} (expected a name like app.localhost:8000)`);
  return undefined;
}

/**
 * The request target in origin-form (`/path?query`), which is all a container is sent. An
 * absolute-form target (`http://host/path`) is accepted when it names the same host as the Host
 * header (so the gateway's routing and the container agree), and reduced to its path.
 */
function originForm(head: RequestHead): { path: string } | { refusal: Refusal } {
  const target = head.url ?? "/";
  if (target.startsWith("/")) return { path: target };
  if (/^https?:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { refusal: bad(`malformed request target ${JSON.stringify(target)}`) };
    }
    const named = normalizeHost(url.host);
    if (named === undefined || named !== normalizeHost(values(head, "host")[0])) {
      return { refusal: bad(`request target ${JSON.stringify(target)} names another host than the Host header`) };
    }
    return { path: `${url.pathname}${url.search}` };
  }
  return { refusal: bad(`request target ${JSON.stringify(target)} is not a path (send one like /)`) };
}

/** The limits `admitRequest` applies; `maxHeaderCount` defaults to `DEFAULT_LIMITS`'. */
export type AdmitLimits = Pick<EdgeLimits, "maxBodyBytes"> & Partial<Pick<EdgeLimits, "maxHeaderCount">>;

/**
 * Admits a request head, with the path to forward, or says why the gateway refuses it before
 * routing: an HTTP version other than 1.0 and 1.1 (505), more header lines than the gateway
 * inspects (431), ambiguous or unsupported body framing and a bad Host or target (400), `TRACE`
 * (405), then a declared body over the limit (413).
 */
export function admitRequest(head: RequestHead, limits: AdmitLimits): { path: string } | { refusal: Refusal } {
  if (head.httpVersion !== "1.1" && head.httpVersion !== "1.0") {
    return { refusal: { status: 505, message: `wharf: HTTP/${head.httpVersion} is not supported (send HTTP/1.1)` } };
  }
  const maxCount = limits.maxHeaderCount ?? DEFAULT_LIMITS.maxHeaderCount;
  const count = head.rawHeaders.length / 2;
  if (count > maxCount) return { refusal: { status: 431, message: `wharf: ${count} header lines are over the limit of ${maxCount}` } };
  const framing = framingRefusal(head, limits.maxBodyBytes);
  if (framing?.status === 400) return { refusal: framing };
  const host = hostRefusal(head);
  if (host !== undefined) return { refusal: host };
  const target = originForm(head);
  if ("refusal" in target) return target;
  // TRACE echoes the request back, credentials included (cross-site tracing); nginx refuses it too.
  if (head.method?.toUpperCase() === "TRACE") return { refusal: { status: 405, message: "wharf: TRACE is not supported" } };
  if (framing === undefined) return target;
  return { refusal: framing };
}

/** What Node's parser found wrong, by `err.code` (llhttp's `HPE_*`), in a client's words. */
const PARSER_ERRORS: Record<string, string> = {
  HPE_INVALID_TRANSFER_ENCODING: "invalid Transfer-Encoding: only a single \"chunked\", without Content-Length, is accepted",
  HPE_INVALID_CONTENT_LENGTH: "invalid Content-Length: one decimal number, without Transfer-Encoding",
  HPE_UNEXPECTED_CONTENT_LENGTH: "more than one Content-Length header",
  HPE_INVALID_CHUNK_SIZE: "invalid chunk size in a chunked body",
  HPE_STRICT: "malformed chunked body: chunk data not followed by CRLF",
  HPE_CR_EXPECTED: "bare LF where CRLF is required",
  HPE_LF_EXPECTED: "bare CR where CRLF is required",
  HPE_INVALID_HEADER_TOKEN: "invalid header line: a bad character, whitespace before the colon, or an obs-fold continuation line",
  HPE_INVALID_METHOD: "invalid request method",
  HPE_INVALID_URL: "invalid request target",
  HPE_INVALID_VERSION: "invalid HTTP version or request line",
  HPE_INVALID_CONSTANT: "invalid request line",
  HPE_CLOSED_CONNECTION: "data after the last request of a connection that is closing",
};

/** The answer to a parser-level error (Node's `clientError`), by its code. */
export function parserRefusal(err: { code?: unknown; reason?: unknown; rawPacket?: unknown }, limits: EdgeLimits): Refusal {
  const code = typeof err.code === "string" ? err.code : "";
  if (code === "HPE_INVALID_VERSION" && Buffer.isBuffer(err.rawPacket)) {
    // A well-formed request line naming another version (HTTP/1.2, HTTP/3.0): not a framing error.
    const version = /^[A-Z]+ [^ \r\n]+ HTTP\/(\d\.\d)\r\n/.exec(err.rawPacket.subarray(0, 8192).toString("latin1"))?.[1];
    if (version !== undefined) return { status: 505, message: `wharf: HTTP/${version} is not supported (send HTTP/1.1)` };
  }
  if (code === "HPE_HEADER_OVERFLOW") return { status: 431, message: `wharf: request headers are over the limit of ${formatBytes(limits.maxHeaderBytes)}` };
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") return { status: 413, message: "wharf: chunk extensions are too large" };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return { status: 408, message: `wharf: request headers not received within ${limits.headersTimeoutMs / 1000}s` };
  const reason = typeof err.reason === "string" && err.reason.length > 0 ? err.reason : "";
  const what = PARSER_ERRORS[code] ?? (reason === "" ? "malformed request" : `malformed request: ${reason}`);
  return bad(code === "" ? what : `${what} (${code})`);
}

/** A whole HTTP/1.1 response for writing straight to a socket; the connection closes after it. */
export function rawResponse(refusal: Refusal, headers: Record<string, string> = {}): string {
  const body = `${refusal.message}\n`;
  const lines = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? "Error"}`,
    "content-type: text/plain; charset=utf-8",
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "connection: close",
  ];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** A client stopped sending its body for longer than `bodyTimeoutMs` (nginx: client_body_timeout). */
export function bodyTimeout(limits: Pick<EdgeLimits, "bodyTimeoutMs">): Refusal {
  return { status: 408, message: `wharf: request body stalled: no bytes for ${limits.bodyTimeoutMs / 1000}s` };
}

/**
 * Request ids and W3C trace context (https://www.w3.org/TR/trace-context/): a client's valid
 * `x-request-id` is kept, anything else is replaced by a fresh UUID; a valid `traceparent` keeps
 * its trace id and flags with a new parent id (the gateway's own hop), an invalid or missing one
 * starts a new trace.
 */
import { randomFillSync, randomUUID } from "node:crypto";

/** What a request id may look like: printable, no spaces or quotes, short enough for a log line. */
const REQUEST_ID = /^[A-Za-z0-9._~:@+=/-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}

export function traceparentFrom(given: string | string[] | undefined): string {
  const m = typeof given === "string" ? TRACEPARENT.exec(given.trim()) : null;
  if (m !== null) {
    const [, version = "", traceId = "", parentId = "", flags = "", rest] = m;
    // Version 00 has exactly four fields; later versions may add more; ff is never valid.
    const versionOk = version === "00" ? rest === undefined : version !== "ff";
    if (versionOk && traceId !== ZERO_TRACE && parentId !== ZERO_SPAN) return `00-${traceId}-${spanId()}-${flags}`;
  }
  return `00-${randomHex(16)}-${spanId()}-01`;
}

/** The trace id inside a traceparent this module produced. */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

function spanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN) return id;
  }
}

/**
 * Random bytes as hex, from a pool refilled 4 KiB at a time: a `randomBytes` call per id costs
 * ~8 µs, which is measurable per request (same CSPRNG, fewer calls).
 */
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString("hex", used, used + bytes);
  used += bytes;
  return hex;
}

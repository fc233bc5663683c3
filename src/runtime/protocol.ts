/**
 * Messages between a backend and the runtime agent of a container, over Node's IPC channel.
 * An agent starts idle (a standby runtime), is told which function of which bundle to serve,
 * and reports when it serves or why it cannot.
 */
import type { EdgeLimits } from "../shared/limits.ts";

export interface StartMessage {
  type: "start";
  /** Absolute path of the app bundle (ESM). */
  bundle: string;
  /** The function or class name, as in the manifest. */
  function: string;
  /** Unix socket path the agent serves the gateway on. */
  socket: string;
  /** Working directory of the container. */
  cwd: string;
  /** Extra environment, applied before the bundle is imported. */
  env: Record<string, string>;
}

export interface StopMessage {
  type: "stop";
  /** Milliseconds in-flight requests get before the agent exits anyway. */
  graceMs: number;
}

/**
 * Import a bundle ahead of time (a standby runtime, while the app's version is live), so that a
 * later `start` for it costs no import. Sent only for bundles whose functions set no `env`
 * (module top-level code must see the same environment it would see at start).
 */
export interface PrepareMessage {
  type: "prepare";
  bundle: string;
}

/**
 * A client's connection, handed over by the gateway (`wharf serve --handoff`, docs/handoff.md):
 * the socket travels with this message as its handle. The container serves every request on it
 * itself, with the gateway's checks, until the connection closes (then it sends `released`).
 */
export interface AdoptMessage {
  type: "adopt";
  /** Names this connection in the `released` message. */
  id: number;
  /** What the gateway already read from the connection (the first request head, at least), base64. */
  head: string;
  /** The connection's routing: every later request must name this Host (normalized), else 421. */
  host: string;
  /** The endpoint's name, for messages. */
  name: string;
  /** The class method this endpoint is (`x-wharf-endpoint`), or null. */
  method: string | null;
  /** The function's timeout per request (504). */
  timeoutMs: number;
  /** The gateway's limits on what clients send. */
  limits: EdgeLimits;
}

/** Close handed-over connections as they fall idle, and answer every next request with `Connection: close`. */
export interface DrainAdoptedMessage {
  type: "drain-adopted";
}

export type ToAgent = StartMessage | StopMessage | PrepareMessage | AdoptMessage | DrainAdoptedMessage;

export type FromAgent =
  | { type: "idle" }
  | { type: "ready" }
  | { type: "failed"; message: string }
  /** A handed-over connection closed: its input slot is free. */
  | { type: "released"; id: number }
  /** Requests the container answered on handed-over connections, batched (the request log). */
  | { type: "served"; records: { id: number; record: ServedRecord }[] };

/** One request a container answered on a handed-over connection, as the gateway would log it. */
export interface ServedRecord {
  time: number;
  method: string;
  host: string;
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
  traceparent: string;
}

/** Lines the checker (`agent --check BUNDLE`) prints: the manifest on stdout, or the problem on stderr. */
export const MANIFEST_MARK = "WHARF_MANIFEST ";
export const ERROR_MARK = "WHARF_ERROR ";

/** The header the gateway uses to name the endpoint (class method) a request is for. */
export const ENDPOINT_HEADER = "x-wharf-endpoint";

/**
 * Messages between a backend and the runtime agent of a container, over Node's IPC channel.
 * An agent starts idle (a standby runtime), is told which function of which bundle to serve,
 * and reports when it serves or why it cannot.
 */
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

export type ToAgent = StartMessage | StopMessage | PrepareMessage;

export type FromAgent =
  | { type: "idle" }
  | { type: "ready" }
  | { type: "failed"; message: string };

/** Lines the checker (`agent --check BUNDLE`) prints: the manifest on stdout, or the problem on stderr. */
export const MANIFEST_MARK = "WHARF_MANIFEST ";
export const ERROR_MARK = "WHARF_ERROR ";

/** The header the gateway uses to name the endpoint (class method) a request is for. */
export const ENDPOINT_HEADER = "x-wharf-endpoint";

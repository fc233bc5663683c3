import type { ServedRecord } from "../runtime/protocol.ts";

/**
 * One request the gateway answered, as observers (request log, dashboard, metrics) see it: what a
 * container reports for a handed-over connection (`ServedRecord`: time, method, host, path,
 * status — 0 when the client went away before any answer —, duration, ids), plus where it went.
 */
export interface RequestRecord extends ServedRecord {
  /** The app and function it was routed to, when it was. */
  app: string | null;
  function: string | null;
  /** The container that served it, when one did. */
  container: string | null;
}

export type RequestObserver = (record: RequestRecord) => void;

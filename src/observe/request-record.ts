/** One request the gateway answered, as observers (request log, dashboard, metrics) see it. */
export interface RequestRecord {
  /** When the request arrived (ms since epoch). */
  time: number;
  method: string;
  host: string;
  path: string;
  /** The status sent, or 0 when the client went away before any answer. */
  status: number;
  durationMs: number;
  /** The app and function it was routed to, when it was. */
  app: string | null;
  function: string | null;
  /** The container that served it, when one did. */
  container: string | null;
  requestId: string;
  traceparent: string;
}

export type RequestObserver = (record: RequestRecord) => void;

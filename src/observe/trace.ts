/**
 * The gateway's side of observing one request: ids assigned on arrival (echoed to the client in
 * `x-request-id`), the route and container noted as they are known, one record when it ends.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestObserver } from "./request-record.ts";
import { requestIdFrom, traceparentFrom } from "../shared/trace-ids.ts";

const WARM_UP_HOST = "warm-up.invalid";

export class Trace {
  readonly id: string;
  readonly traceparent: string;
  app: string | null = null;
  function: string | null = null;
  container: string | null = null;

  constructor(req: IncomingMessage, res: ServerResponse, observer: RequestObserver | undefined) {
    this.id = requestIdFrom(req.headers["x-request-id"]);
    this.traceparent = traceparentFrom(req.headers["traceparent"]);
    res.setHeader("x-request-id", this.id);
    // The gateway's own warm-up request at listen (gateway.ts) is nobody's traffic.
    if (observer === undefined || req.headers.host === WARM_UP_HOST) return;
    const time = Date.now();
    const began = performance.now();
    res.once("close", () => {
      observer({
        time,
        method: req.method ?? "GET",
        host: req.headers.host ?? "",
        path: req.url ?? "/",
        status: res.headersSent ? res.statusCode : 0,
        durationMs: performance.now() - began,
        app: this.app,
        function: this.function,
        container: this.container,
        requestId: this.id,
        traceparent: this.traceparent,
      });
    });
  }
}

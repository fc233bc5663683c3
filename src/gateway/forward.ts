/**
 * One proxied exchange on the hot path: the request goes to the container through undici's
 * `dispatch` with a handler that writes the answer straight into the client's response. No
 * `request()` promise, body stream, `pipeline` or AbortSignal per request: those cost more than
 * the rest of the gateway's work together (issue 8; `pipeline` alone builds an AbortController
 * and a DOMException for every response).
 */
import type { ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import { responseHeaders } from "./headers.ts";

/**
 * Cancels an exchange (its timeout, or the client going away), with the reason it failed for.
 * An `AbortSignal` is made only for whoever asks for one (a request that has to queue for a slot).
 */
export class Cancel {
  private controller: AbortController | undefined;
  private reasonOf: unknown;
  /** The exchange under way, aborted with the reason as soon as `abort` is called. */
  private onAbort: ((reason: Error) => void) | undefined;
  aborted = false;
  /**
   * Set once undici hands the request to a connection (`onRequestStart`): from then on it may
   * have reached the container, so a pool destroyed under it does not mean it was never sent.
   */
  sent = false;

  get reason(): unknown {
    return this.reasonOf;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted && !this.controller.signal.aborted) this.controller.abort(this.reasonOf);
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reasonOf = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
  }

  /** Runs `fn` with the reason once aborted (at once if it already is); one at a time. */
  watch(fn: ((reason: Error) => void) | undefined): void {
    this.onAbort = fn;
    if (fn !== undefined && this.aborted) fn(this.reasonOf as Error);
  }
}

/**
 * Sends `options` through `dispatcher` and streams the answer into `res` (its head filtered by
 * `responseHeaders`), with the client's backpressure. Resolves once the answer is complete;
 * rejects with undici's error (or the cancel reason), whether or not the head was written.
 */
export function forward(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, res: ServerResponse, cancel: Cancel): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const handler = new ForwardHandler(res, cancel, resolve, reject);
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      handler.onResponseError(undefined, err as Error);
    }
  });
}

class ForwardHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private done = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly cancel: Cancel,
    private readonly resolve: () => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.cancel.sent = true;
    this.cancel.watch((reason) => controller.abort(reason));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // An informational answer (103 Early Hints) is not forwarded; the final one follows.
    if (statusCode < 200) return;
    this.res.writeHead(statusCode, responseHeaders(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.res.write(chunk)) return;
    controller.pause();
    this.res.once("drain", () => controller.resume());
  }

  onResponseEnd(): void {
    if (this.finish()) {
      this.res.end();
      this.resolve();
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.finish()) this.reject(err);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    this.cancel.watch(undefined);
    this.controller = undefined;
    return true;
  }
}

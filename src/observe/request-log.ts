/**
 * Request logs: one human line per request for `wharf serve` (colored on a TTY only), one JSON
 * object per line for `wharf server` (to a rotating file in its data dir).
 */
import type { RequestRecord } from "./request-record.ts";
import type { RotatingFile } from "./rotating-file.ts";

export type Paint = (code: number, text: string) => string;

const plain: Paint = (_code, text) => text;

/** `12:00:01.234 GET hello-dev.localhost:8000/ 200 3.1ms c4 id=…` */
export function requestLine(r: RequestRecord, paint: Paint = plain): string {
  const clock = new Date(r.time).toISOString().slice(11, 23);
  const status = r.status === 0 ? "---" : String(r.status);
  const statusColor = r.status >= 500 || r.status === 0 ? 31 : r.status >= 400 ? 33 : 32;
  const duration = r.durationMs < 10 ? r.durationMs.toFixed(1) : Math.round(r.durationMs).toString();
  return `${paint(90, clock)} ${r.method} ${r.host}${r.path} ${paint(statusColor, status)} ${duration}ms ${r.container ?? "-"} ${paint(90, `id=${r.requestId}`)}`;
}

/** The JSON line of a record (`wharf server`'s requests.jsonl). */
export function requestJson(r: RequestRecord): string {
  return `${JSON.stringify({
    time: new Date(r.time).toISOString(),
    method: r.method,
    host: r.host,
    path: r.path,
    status: r.status,
    duration_ms: Math.round(r.durationMs * 1000) / 1000,
    app: r.app,
    function: r.function,
    container: r.container,
    request_id: r.requestId,
    traceparent: r.traceparent,
  })}\n`;
}

export function jsonRequestLog(file: RotatingFile): (r: RequestRecord) => void {
  return (r) => file.write(requestJson(r));
}

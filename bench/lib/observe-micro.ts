/**
 * The gateway's added work per request for observing it, measured in-process: ids (x-request-id,
 * traceparent), then the record handed to the dashboard's telemetry and the Prometheus metrics.
 * Bundled and run by bench/observe.mjs; prints one JSON line of µs per request.
 */
import { createMetrics } from "../../src/observe/metrics.ts";
import type { RequestRecord } from "../../src/observe/request-record.ts";
import { Telemetry } from "../../src/observe/telemetry.ts";
import { requestIdFrom, traceparentFrom } from "../../src/shared/trace-ids.ts";

const metrics = await createMetrics({ functions: () => [], standby: () => 0 });
const telemetry = new Telemetry(Date.now, [metrics]);
const record = (i: number): RequestRecord => ({
  time: Date.now(), method: "GET", host: "bench-hello.localhost:8000", path: "/", status: i % 50 === 0 ? 500 : 200, durationMs: 0.5 + (i % 7),
  app: "bench", function: `f${i % 3}`, container: "c1", requestId: "r", traceparent: "t",
});

function perOp(fn: (i: number) => void, n = 300_000): number {
  for (let i = 0; i < 20_000; i++) fn(i);
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - start) * 1000) / n;
}

console.log(JSON.stringify({
  idsUs: perOp(() => { requestIdFrom(undefined); traceparentFrom(undefined); }),
  recordUs: perOp((i) => telemetry.request(record(i))),
}));

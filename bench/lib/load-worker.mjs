/**
 * The load generator, run as its own process (the servers must not share its event loop):
 * autocannon with fixed keep-alive connections, a warm-up run whose figures are dropped, then
 * the measured run. Prints one JSON line with the result.
 *
 * Latencies are kept at full precision (autocannon's own histogram rounds to whole
 * milliseconds, too coarse on loopback). Connections are counted: when a server closes a
 * keep-alive connection, autocannon reconnects but keeps a stale entry in its request queue, so
 * every later latency on that connection is measured from an earlier request's start. Rows with
 * reconnects are flagged by the caller rather than trusted.
 *
 *   node bench/lib/load-worker.mjs '{"url":"http://127.0.0.1:8000/","host":"x.localhost:8000","connections":32,"warmupS":1,"durationS":5}'
 */
import autocannon from "autocannon";

const config = JSON.parse(process.argv[2] ?? "{}");

function run(durationS, onResponse) {
  let connects = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: config.url,
        ...(config.socketPath === undefined ? {} : { socketPath: config.socketPath }),
        headers: config.host === undefined ? {} : { host: config.host },
        connections: config.connections,
        pipelining: 1,
        duration: durationS,
        timeout: 10,
        setupClient: (client) => {
          const connect = client._connect;
          client._connect = function countedConnect(...args) {
            connects++;
            return connect.apply(this, args);
          };
        },
      },
      (err, result) => (err ? reject(err) : resolve({ ...result, connects })),
    );
    if (onResponse !== undefined) instance.on("response", onResponse);
  });
}

await run(config.warmupS);

let latencies = new Float64Array(1 << 16);
let count = 0;
const result = await run(config.durationS, (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode >= 300) return;
  if (count === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[count++] = responseTime;
});

const sorted = latencies.subarray(0, count).sort();
const percentile = (p) => (count === 0 ? null : (sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)] ?? null));
const seconds = result.duration; // autocannon's wall time of the run, in s
process.stdout.write(
  `${JSON.stringify({
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    reconnects: result.connects - config.connections,
    seconds,
    rps: result["2xx"] / seconds,
    mean: count === 0 ? null : sorted.reduce((a, b) => a + b, 0) / count,
    // Little's law: a connection's requests take at least their latencies, so the mean latency
    // cannot exceed connections × time / responses; above it, the latencies are miscounted.
    meanBound: (config.connections * seconds * 1000) / (result["2xx"] + result.non2xx || 1),
    p50: percentile(50),
    p99: percentile(99),
    statusCodes: result.statusCodeStats,
  })}\n`,
);

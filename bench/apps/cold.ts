/**
 * Benchmark app for scale-from-zero, the burst and idle memory (bench/run.mjs):
 * - `cold0`…`cold5`: the hello world, each with its own label, scaled to zero 2 s after its last
 *   request. The bench cycles through them, so one waits for zero while the others are measured.
 * - `burst`: answers after ~20 ms, default concurrency and container limits (maxInputs 1,
 *   maxContainers 10); scaledownWindow 2 so that it is at zero when the burst starts.
 * - `resident`: one container always up, the idle container whose memory is read.
 */
import * as wharf from "wharf";

const app = new wharf.App("bench-cold");
/** A new handler each time: each function gets its own. */
const hello = () => () => ({ message: "Hello, world!" });
const cold = { scaledownWindow: 2 };

export const cold0 = app.function(cold)(wharf.fastapiEndpoint({ method: "GET", label: "bench-cold-0" })(hello()));
export const cold1 = app.function(cold)(wharf.fastapiEndpoint({ method: "GET", label: "bench-cold-1" })(hello()));
export const cold2 = app.function(cold)(wharf.fastapiEndpoint({ method: "GET", label: "bench-cold-2" })(hello()));
export const cold3 = app.function(cold)(wharf.fastapiEndpoint({ method: "GET", label: "bench-cold-3" })(hello()));
export const cold4 = app.function(cold)(wharf.fastapiEndpoint({ method: "GET", label: "bench-cold-4" })(hello()));
export const cold5 = app.function(cold)(wharf.fastapiEndpoint({ method: "GET", label: "bench-cold-5" })(hello()));

export const burst = app.function({ scaledownWindow: 2 })(
  wharf.fastapiEndpoint({ method: "GET", label: "bench-burst" })(async function burst() {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { message: "Hello, world!" };
  }),
);

export const resident = app.function({ minContainers: 1 })(
  wharf.fastapiEndpoint({ method: "GET", label: "bench-resident" })(hello()),
);

/**
 * Benchmark app for `npm run bench:k8s` (bench/k8s.mjs): `hello`, the hello world in exactly two
 * pods of up to 100 inputs each; `cold`, the same at zero two seconds after its last request.
 */
import * as wharf from "wharf";

const app = new wharf.App("bench-k8s");

export const hello = app.function({ minContainers: 2, maxContainers: 2, concurrency: { maxInputs: 100 } })(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);

export const cold = app.function({ scaledownWindow: 2 })(
  wharf.fastapiEndpoint({ method: "GET" })(function cold() {
    return { message: "Hello, world!" };
  }),
);

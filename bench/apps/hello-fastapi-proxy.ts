/**
 * Benchmark app for the proxy path itself (issue 8): the hello world in one container of up to
 * 100 inputs, with no hand-off, as every request is served on Kubernetes.
 */
import * as wharf from "wharf";

const app = new wharf.App("bench-proxy");

export const hello = app.function({ maxContainers: 1, concurrency: { maxInputs: 100 } })(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);

/** Benchmark app: the hello world as a fastapiEndpoint in exactly two containers of up to 100 inputs each. */
import * as wharf from "wharf";

const app = new wharf.App("bench-pair");

export const hello = app.function({ minContainers: 2, maxContainers: 2, concurrency: { maxInputs: 100 } })(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);

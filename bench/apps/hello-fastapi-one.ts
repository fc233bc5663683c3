/** Benchmark app: the hello world as a fastapiEndpoint in one container taking every input. */
import * as wharf from "wharf";

const app = new wharf.App("bench-one");

export const hello = app.function({ maxContainers: 1, concurrency: { maxInputs: 1000 } })(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);

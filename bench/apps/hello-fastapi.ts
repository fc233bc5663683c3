/** Benchmark app: the quickstart hello world as a fastapiEndpoint, with default function options. */
import * as wharf from "wharf";

const app = new wharf.App("bench-fastapi");

export const hello = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);

/** Benchmark app: the same hello world as an asgiApp returning a bare fetch function. */
import * as wharf from "wharf";

const app = new wharf.App("bench-asgi");

export const hello = app.function()(
  wharf.asgiApp()(function createApp() {
    return (_request: Request): Response => Response.json({ message: "Hello, world!" });
  }),
);

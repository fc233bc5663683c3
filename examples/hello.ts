/**
 * The quickstart: one GET endpoint (the seed's first `@modal.fastapi_endpoint`).
 *
 *   npx wharf serve examples/hello.ts
 *   curl http://example-hello-dev.localhost:8000
 *   # {"message":"Hello, world!"}
 */
import * as wharf from "wharf";

const app = new wharf.App("example");

export const hello = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function hello() {
    return { message: "Hello, world!" };
  }),
);

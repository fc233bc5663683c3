/**
 * `webEndpoint` is the old name of `fastapiEndpoint` (Modal renamed `@web_endpoint` in v0.73.82).
 * Both behave identically; the old one emits one `DeprecationWarning` per process, naming
 * `fastapiEndpoint`, and will be removed in a future version.
 *
 *   npx wharf serve examples/deprecated.ts
 *   curl http://deprecated-oldhandler-dev.localhost:8000   # {"data":"value"}, plus a warning in the logs
 *   curl http://deprecated-newhandler-dev.localhost:8000   # {"data":"value"}
 */
import * as wharf from "wharf";

const app = new wharf.App("deprecated");

// Old (deprecated)
export const oldHandler = app.function()(
  wharf.webEndpoint({ method: "GET" })(function handler() {
    return { data: "value" };
  }),
);

// New (recommended)
export const newHandler = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function handler() {
    return { data: "value" };
  }),
);

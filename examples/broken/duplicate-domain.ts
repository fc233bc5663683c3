// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming both `first` and `second` as claiming the custom domain
// "dup.example.com" (a domain routes to one endpoint: remove it from one of them). It type-checks.
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("broken-duplicate-domain");

export const first = app.function()(
  wharf.fastapiEndpoint({ customDomains: ["dup.example.com"] })(function first() {
    return { which: "first" };
  }),
);

export const second = app.function()(
  wharf.asgiApp({ customDomains: ["www.example.net", "dup.example.com"] })(function second() {
    return new Hono();
  }),
);

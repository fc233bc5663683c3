// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming both `first` and `second` as claiming the label "same" (one label, one
// endpoint: rename one of them). It type-checks.
import * as wharf from "wharf";

const app = new wharf.App("broken-duplicate-label");

export const first = app.function()(
  wharf.fastapiEndpoint({ label: "same" })(function first() {
    return { which: "first" };
  }),
);

export const second = app.function()(
  wharf.fastapiEndpoint({ label: "same" })(function second() {
    return { which: "second" };
  }),
);

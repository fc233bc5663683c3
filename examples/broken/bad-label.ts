// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming the function `hello` and the label "Bad_Label", saying a label is 1..63
// characters of [a-z0-9-], not starting or ending with "-" (e.g. "bad-label"). It type-checks:
// a label is a string.
import * as wharf from "wharf";

const app = new wharf.App("broken-bad-label");

export const hello = app.function()(
  wharf.fastapiEndpoint({ method: "GET", label: "Bad_Label" })(function hello() {
    return { message: "never served" };
  }),
);

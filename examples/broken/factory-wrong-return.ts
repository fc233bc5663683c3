// BROKEN ON PURPOSE. The factory returns an object that is not a fetch app (no `fetch`, not a
// function). When a container calls it, it must fail with an error naming `createAsgi`, saying
// what was returned (an object without `fetch`) and what was expected (an object with
// `fetch(request)`, or a `(request) => Response` function). It is also a compile error, expected below.
import * as wharf from "wharf";

const app = new wharf.App("broken-factory-wrong-return");

export const createAsgi = app.function()(
  // @ts-expect-error an object without `fetch` is not a fetch app
  wharf.asgiApp()(function createAsgi() {
    return { handle: () => new Response("never served"), routes: ["/"] };
  }),
);

// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming `createAsgi` and saying asgiApp "can't be applied to an async function"
// (make the factory synchronous). It is also a compile error, expected below.
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("broken-async-factory");

export const createAsgi = app.function()(
  // @ts-expect-error an async factory returns a Promise, not an app
  wharf.asgiApp()(async function createAsgi() {
    return new Hono();
  }),
);

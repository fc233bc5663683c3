// BROKEN ON PURPOSE. A plain (non-async) function that returns a Promise: the cast below hides it
// from the compiler, so only the runtime can catch it. When a container calls the factory, the
// container must fail (and never serve) with an error naming `createAsgi`, saying it returned a
// Promise and that the factory must be synchronous and return the app itself.
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("broken-factory-returns-promise");

export const createAsgi = app.function()(
  wharf.asgiApp()(function createAsgi() {
    return Promise.resolve(new Hono()) as unknown as Hono;
  }),
);

// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming `createAsgi` and saying asgiApp "can't have parameters": a rest parameter
// counts too (its function's `length` is 0, so the check must look further). It is also a
// compile error, expected below.
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("broken-factory-rest-param");

export const createAsgi = app.function()(
  // @ts-expect-error a rest parameter is still a parameter
  wharf.asgiApp()(function createAsgi(...greetings: string[]) {
    const web = new Hono();
    web.get("/", (c) => c.text(greetings.join(" ")));
    return web;
  }),
);

// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming `createAsgi` and saying asgiApp "can't have parameters": a defaulted
// parameter counts too. It is also a compile error, expected below.
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("broken-factory-default-param");

export const createAsgi = app.function()(
  // @ts-expect-error a defaulted parameter is still a parameter
  wharf.asgiApp()(function createAsgi(greeting = "hello") {
    const web = new Hono();
    web.get("/", (c) => c.text(greeting));
    return web;
  }),
);

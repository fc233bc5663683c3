// BROKEN ON PURPOSE. `wharf serve` / `wharf deploy` must refuse this file when loading it (exit 1),
// with an error naming `createAsgi` and saying asgiApp "can't have parameters" (the factory is
// called with none). It is also a compile error, expected below.
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("broken-factory-params");

interface Config {
  greeting: string;
}

export const createAsgi = app.function()(
  // @ts-expect-error a factory takes no parameters
  wharf.asgiApp()(function createAsgi(config: Config) {
    const web = new Hono();
    web.get("/", (c) => c.text(config.greeting));
    return web;
  }),
);

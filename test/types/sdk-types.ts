/**
 * Compile-time checks of the SDK types, run by `npm run typecheck` (part of `npm test`): each
 * `@ts-expect-error` fails the build if the mistake below it ever stops being a type error.
 */
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { z } from "zod";
import * as wharf from "wharf";

const app = new wharf.App("types");

// ✓ correct factories
export const okAsgi = app.function()(wharf.asgiApp()(function create() { return new Hono(); }));
export const okBare = app.function()(wharf.asgiApp()(() => (_req: Request) => new Response("hi")));
export const okWsgi = app.function()(wharf.wsgiApp()(function create() { return express(); }));
export const okServer = app.function()(wharf.webServer(8000)(function start() { /* spawn */ }));

// ✗ async factories
// @ts-expect-error an async factory returns a Promise, not an app
wharf.asgiApp()(async function create() { return new Hono(); });
// @ts-expect-error an async factory returns a Promise, not an app
wharf.wsgiApp()(async () => express());
// @ts-expect-error webServer functions must be synchronous too
wharf.webServer(8000)(async function start() {});

// ✗ parameters, defaulted and rest included
// @ts-expect-error a required parameter
wharf.asgiApp()(function create(config: { debug: boolean }) { return config.debug ? new Hono() : new Hono(); });
// @ts-expect-error a defaulted parameter
wharf.asgiApp()(function create(debug = false) { return debug ? new Hono() : new Hono(); });
// @ts-expect-error a rest parameter
wharf.wsgiApp()(function create(...args: string[]) { return args.length ? express() : express(); });

// ✗ wrong return value
// @ts-expect-error a string is not a fetch app
wharf.asgiApp()(function create() { return "not an app"; });
// @ts-expect-error an object without fetch is not a fetch app
wharf.asgiApp()(function create() { return { handle: () => new Response() }; });

// fastapiEndpoint inputs: schema output, annotated or unannotated parameters
const Item = z.object({ name: z.string(), price: z.number() });
wharf.fastapiEndpoint({ method: "POST", body: Item })((item) => {
  const total: number = item.price;
  // @ts-expect-error the schema output has no `colour`
  return { total, colour: item.colour };
});
wharf.fastapiEndpoint({ method: "POST" })(function handler(data: { name: string }) { return { processed: data }; });
wharf.fastapiEndpoint({ deps: { user: () => ({ id: 1 }), flag: async () => true } })((_input, ctx) => {
  const id: number = ctx.deps.user.id;
  const flag: boolean = ctx.deps.flag;
  return { id, flag };
});

// classes: TC39 decorators on methods
@app.cls({ concurrency: { maxInputs: 10 } })
export class MyAPI {
  count = 0;
  @wharf.enter() async setup() { this.count = 0; }
  @wharf.fastapiEndpoint({ method: "GET" }) health() { return { status: "healthy", n: ++this.count }; }
  @wharf.fastapiEndpoint({ method: "POST" }) process(data: unknown) { return { processed: data }; }
  @wharf.asgiApp() web() { return new Hono(); }
  @wharf.exit() teardown() { this.count = -1; }
}

// ✗ app names
// (checked at load time: the type is a string)
new wharf.App("types-ok");

// Unannotated handlers inside app.function() get the schema's output, not `never`.
export const nested = app.function()(
  wharf.fastapiEndpoint({ method: "POST", body: Item, deps: { n: () => 2 } })((item, ctx) => item.price * ctx.deps.n),
);

// A Fastify instance is thenable, yet a synchronous factory returning one is correct.
export const okFastify = app.function()(wharf.wsgiApp()(function create() { return Fastify(); }));

// Secrets are named per function, as a list of names.
export const okSecrets = app.function({ secrets: ["stripe", "postgres"], env: { MODE: "prod" } })(wharf.asgiApp()(() => (_req: Request) => new Response("hi")));
// @ts-expect-error a single name is not a list
export const badSecrets = app.function({ secrets: "stripe" })(wharf.asgiApp()(() => (_req: Request) => new Response("hi")));

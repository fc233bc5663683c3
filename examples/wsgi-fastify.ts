/**
 * The seed's WSGI example with Fastify 5. The factory returns the instance without calling
 * `listen()`; the runtime awaits `ready()` and routes requests through it.
 *
 *   npx wharf serve examples/wsgi-fastify.ts
 *   curl http://wsgi-fastify-web-dev.localhost:8000/           # Hello from Fastify!
 *   curl http://wsgi-fastify-web-dev.localhost:8000/api/data   # {"data":[1,2,3]}
 */
import Fastify, { type FastifyInstance } from "fastify";
import * as wharf from "wharf";

const app = new wharf.App("wsgi-fastify");

// The return type is spelled out: `Fastify()` is typed as also being a PromiseLike (it is
// awaitable while plugins load), which the factory's "must be synchronous" check would refuse.
export const web = app.function()(
  wharf.wsgiApp()(function createApp(): FastifyInstance {
    const fastify = Fastify();

    // Hooks are Fastify's middleware: this one runs before every reply is sent.
    fastify.addHook("onSend", async (_request, reply, payload) => {
      void reply.header("x-app", "wsgi-fastify");
      return payload;
    });

    fastify.get("/", async () => "Hello from Fastify!");
    fastify.get("/api/data", async () => ({ data: [1, 2, 3] }));
    fastify.post("/items", async (request, reply) => {
      void reply.code(201);
      return { created: request.body };
    });
    return fastify;
  }),
);

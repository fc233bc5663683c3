/**
 * Every `fastapiEndpoint` option of the seed, plus the FastAPI features it promises: request
 * validation (zod 4 and valibot, any Standard Schema works), dependency injection (`deps`),
 * `HTTPException`, and a streaming (SSE) response.
 *
 *   npx wharf serve examples/fastapi-options.ts
 *   curl -X POST http://my-endpoint-dev.localhost:8000 -H 'content-type: application/json' -d '{"a":1}'
 *   open http://my-endpoint-dev.localhost:8000/docs
 *   curl -N http://fastapi-options-events-dev.localhost:8000
 */
import * as v from "valibot";
import * as wharf from "wharf";
import { z } from "zod";

const app = new wharf.App("fastapi-options");

// The seed's configuration block, option for option. Without a schema, `data` is the raw JSON body.
export const handler = app.function()(
  wharf.fastapiEndpoint({
    method: "POST", // GET (default), POST, PUT, PATCH, DELETE, HEAD
    label: "my-endpoint", // URL http://my-endpoint.localhost:8000 (my-endpoint-dev under `wharf serve`)
    docs: true, // /docs (Swagger UI) and /openapi.json
    requiresProxyAuth: false, // true → Modal-Key / Modal-Secret headers required
    customDomains: ["api.example.com"], // also served when the Host is api.example.com
  })(function handler(data: Record<string, unknown>) {
    return { processed: data };
  }),
);

// Request validation with zod 4: a bad body is answered 422 before the handler runs, and the
// handler gets the schema's output (defaults applied).
const Item = z.object({
  name: z.string().min(1),
  price: z.number().positive(),
  tags: z.array(z.string()).default([]),
});
type Item = z.output<typeof Item>;

export const items = app.function()(
  wharf.fastapiEndpoint({ method: "POST", body: Item, docs: true })(function items(item: Item) {
    return { created: item, priceWithTax: Math.round(item.price * 120) / 100 };
  }),
);

// Query validation with valibot: query values arrive as strings, so `limit` is converted here.
const Search = v.object({
  q: v.pipe(v.string(), v.minLength(1)),
  limit: v.optional(v.pipe(v.string(), v.toNumber(), v.integer(), v.minValue(1), v.maxValue(50)), "10"),
});
type Search = v.InferOutput<typeof Search>;

const CATALOG = ["anchor", "buoy", "cargo", "dock", "harbor", "pier", "quay", "wharf"];

export const search = app.function()(
  wharf.fastapiEndpoint({ method: "GET", query: Search })(function search({ q, limit }: Search) {
    const results = CATALOG.filter((word) => word.includes(q.toLowerCase())).slice(0, limit);
    return { q, limit, results };
  }),
);

// Dependency injection: `deps` run before the handler, their results arrive as `ctx.deps`. A
// dependency may refuse the request by throwing HTTPException.
interface User {
  id: number;
  name: string;
}

const USERS: Record<string, User> = {
  "token-alice": { id: 1, name: "alice" },
  "token-bob": { id: 2, name: "bob" },
};

function currentUser(ctx: wharf.RequestContext): User {
  const auth = ctx.headers.get("authorization") ?? "";
  if (!auth.startsWith("Bearer ")) {
    throw new wharf.HTTPException(401, "missing bearer token", { "WWW-Authenticate": "Bearer" });
  }
  const user = USERS[auth.slice("Bearer ".length)];
  if (user === undefined) throw new wharf.HTTPException(403, "unknown token");
  return user;
}

async function requestTime(): Promise<string> {
  return new Date().toISOString();
}

export const me = app.function()(
  wharf.fastapiEndpoint({ method: "GET", deps: { user: currentUser, at: requestTime } })(function me(
    _query: unknown,
    ctx: wharf.EndpointContext<{ user: User; at: string }>,
  ) {
    return { user: ctx.deps.user, at: ctx.deps.at };
  }),
);

// HTTPException from the handler itself: 404 with {"detail": "..."}.
const NoteQuery = z.object({ id: z.string() });
type NoteQuery = z.output<typeof NoteQuery>;
const NOTES = new Map([["1", "buy rope"], ["2", "paint the hull"]]);

export const note = app.function()(
  wharf.fastapiEndpoint({ method: "GET", query: NoteQuery })(function note({ id }: NoteQuery) {
    const text = NOTES.get(id);
    if (text === undefined) throw new wharf.HTTPException(404, `note ${id} not found`);
    return { id, text };
  }),
);

// A returned Response is sent as is: here a stream of server-sent events, one every 100 ms.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const events = app.function()(
  wharf.fastapiEndpoint({ method: "GET" })(function events() {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (let n = 1; n <= 3; n++) {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify({ n })}\n\n`));
          await sleep(100);
        }
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }),
);

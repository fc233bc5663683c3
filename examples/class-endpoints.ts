/**
 * Web decorators on class methods. The class's methods share its containers: one instance per
 * container, created once, so state set in `enter` or by earlier requests is still there.
 *
 *   npx wharf serve examples/class-endpoints.ts
 *   curl http://class-endpoints-myapi-health-dev.localhost:8000     # requests goes up each time
 *   curl -X POST http://class-endpoints-myapi-process-dev.localhost:8000 \
 *     -H 'content-type: application/json' -d '{"job":42}'
 */
import * as wharf from "wharf";

const app = new wharf.App("class-endpoints");

@app.cls({ concurrency: { maxInputs: 10 } })
export class MyAPI {
  requests = 0;
  startedAt = "";
  model: Map<string, number> | undefined;

  // Once per container, before it serves: load models, open connection pools, warm caches.
  @wharf.enter()
  async setup() {
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.model = new Map([["weight", 0.5]]);
    this.startedAt = new Date().toISOString();
  }

  @wharf.fastapiEndpoint({ method: "GET" })
  health() {
    return { status: "healthy", requests: ++this.requests, startedAt: this.startedAt, ready: this.model !== undefined };
  }

  @wharf.fastapiEndpoint({ method: "POST" })
  process(data: Record<string, unknown>) {
    // Instance state is shared with `health` and kept between requests.
    return { processed: data, requests: ++this.requests, weight: this.model?.get("weight") ?? null };
  }

  // When the container shuts down (scale-down, reload, Ctrl-C).
  @wharf.exit()
  teardown() {
    console.log(`MyAPI: shutting down after ${this.requests} requests`);
    this.model = undefined;
  }
}

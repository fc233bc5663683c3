import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

interface Health {
  status: string;
  requests: number;
  startedAt: string;
  ready: boolean;
}

interface Processed {
  processed: unknown;
  requests: number;
  weight: number | null;
}

describe("wharf serve examples/class-endpoints.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/class-endpoints.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  const HEALTH = "class-endpoints-myapi-health-dev.localhost";
  const PROCESS = "class-endpoints-myapi-process-dev.localhost";
  let sent = 0;

  it("prints one line per method endpoint", async () => {
    // startServe returns at the first URL line; the second may still be on its way.
    await served.waitFor(/MyAPI\.process =>/);
    expect(served.lines).toContain(`✓ web function MyAPI.health => http://${HEALTH}:${served.port}`);
    expect(served.lines).toContain(`✓ web function MyAPI.process => http://${PROCESS}:${served.port}`);
  });

  it("runs the enter hook before the first request", async () => {
    const answer = await served.request(HEALTH);
    sent++;
    expect(answer.status).toBe(200);
    const body = answer.json<Health>();
    expect(body).toMatchObject({ status: "healthy", requests: 1, ready: true });
    expect(Number.isNaN(Date.parse(body.startedAt))).toBe(false);
  });

  it("shares one instance between both methods across requests", async () => {
    const first = await served.request(HEALTH);
    const second = await served.request(PROCESS, "/", { method: "POST", headers: { "content-type": "application/json" }, body: '{"job":42}' });
    const third = await served.request(HEALTH);
    sent += 3;
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    const a = first.json<Health>();
    const b = second.json<Processed>();
    const c = third.json<Health>();
    expect(b).toEqual({ processed: { job: 42 }, requests: a.requests + 1, weight: 0.5 });
    expect(c.requests).toBe(a.requests + 2);
    expect(c.startedAt).toBe(a.startedAt);
  });

  it("runs the exit hook on Ctrl-C and exits 0", async () => {
    expect(await served.stop("SIGINT")).toBe(0);
    expect(served.lines).toContain(`[MyAPI] MyAPI: shutting down after ${sent} requests`);
  });
});

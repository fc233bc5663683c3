/**
 * Autoscaling with real processes (issue: autoscaling and container lifecycle): counts of
 * containers under bursts, maxInputs, min/buffer/max containers, scale to zero, timeouts,
 * queue limits, crash recovery and backoff. Never asserts timings.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";
import { functionStatus } from "../helpers/status.ts";

type Served2 = { container: string; peak: number };

describe("autoscaling", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/scaling.ts");
  });
  afterAll(async () => {
    await served?.stop();
  });

  const burst = (label: string, n: number, ms: number) =>
    Promise.all(Array.from({ length: n }, () => served.request(`scaling-${label}-dev.localhost`, `/?ms=${ms}`)));

  it("spreads a burst over new containers, never more than maxContainers, one input each", async () => {
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = await functionStatus(served, "slow");
        most = Math.max(most, s.containers + s.starting);
      }
    })();
    const answers = await burst("slow", 7, 800);
    sampling = false;
    await sampler;
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(200));
    const bodies = answers.map((a) => a.json<Served2>());
    const pids = new Set(bodies.map((b) => b.container));
    expect(pids.size).toBeGreaterThan(1);
    expect(pids.size).toBeLessThanOrEqual(3);
    expect(most).toBeLessThanOrEqual(3);
    for (const b of bodies) expect(b.peak).toBe(1); // maxInputs 1: never two at once in one container
    expect(served.lines.some((l) => /container \S+ of slow started \(scale up\)/.test(l))).toBe(true);
  });

  it("scales an idle function down to zero after its scaledownWindow, saying why", async () => {
    await expect.poll(async () => (await functionStatus(served, "slow")).containers, { timeout: 20_000, interval: 250 }).toBe(0);
    expect(served.lines.some((l) => /container \S+ of slow stopping \(idle\)/.test(l))).toBe(true);
  });

  it("scales from zero on the next request", async () => {
    const answer = await served.request("scaling-slow-dev.localhost", "/?ms=1");
    expect(answer.status).toBe(200);
  });

  it("keeps minContainers warm", async () => {
    // warm has scaledownWindow 2 s and minContainers 1: by now it has been idle far longer.
    await expect.poll(async () => (await functionStatus(served, "slow")).containers, { timeout: 20_000, interval: 250 }).toBe(0);
    expect((await functionStatus(served, "warm")).containers).toBe(1);
  });

  it("shares containers up to maxInputs and keeps a buffer container under load", async () => {
    const pending = burst("shared", 2, 1500);
    // One container takes both inputs (maxInputs 2); the buffer adds a second, idle one.
    await expect.poll(async () => {
      const s = await functionStatus(served, "shared");
      return s.containers + s.starting;
    }, { timeout: 10_000, interval: 100 }).toBe(2);
    const answers = await pending;
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.json<Served2>().peak).toBeLessThanOrEqual(2);
    }
    const more = await burst("shared", 6, 300);
    for (const a of more) expect(a.json<Served2>().peak).toBeLessThanOrEqual(2);
    expect(new Set(more.map((a) => a.json<Served2>().container)).size).toBeLessThanOrEqual(2);
  });

  it("answers 504 past the timeout, queue time included", async () => {
    // hurried: timeout 1 s, one container, one input. The second request waits in the queue.
    const [first, second] = await Promise.all([
      served.request("scaling-hurried-dev.localhost", "/?ms=3000"),
      served.request("scaling-hurried-dev.localhost", "/?ms=10"),
    ]);
    expect(first.status).toBe(504);
    expect(first.text).toMatch(/^wharf: hurried did not answer within its timeout of 1s/);
    expect(second.status).toBe(504);
  });

  it("fails only the in-flight requests of a crashed container (502) and replaces it", async () => {
    const [crashing, neighbour] = await Promise.all([
      served.request("scaling-fragile-dev.localhost", "/?crash=1&ms=500"),
      served.request("scaling-fragile-dev.localhost", "/?ms=500"),
    ]);
    expect(crashing.status).toBe(502);
    expect(crashing.text).toMatch(/^wharf: the container of fragile failed/);
    expect(neighbour.status).toBe(502); // same container (maxInputs 4), in flight when it died
    await served.waitFor(/container \S+ of fragile stopped \(crash: exit code 3\)/);
    const after = await served.request("scaling-fragile-dev.localhost", "/?ms=1");
    expect(after.status).toBe(200);
    expect((await functionStatus(served, "fragile")).totals.crashed).toBe(1);
  });

  it("keeps serving other functions throughout", async () => {
    expect((await served.request("scaling-warm-dev.localhost")).status).toBe(200);
  });
});

describe("queue limit", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/scaling.ts", { args: ["--max-queue", "1"] });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("answers 503 with Retry-After once the queue is full", async () => {
    // hurried: one container, one input, queue of one → the third concurrent request is refused.
    const answers = await Promise.all([0, 1, 2].map(() => served.request("scaling-hurried-dev.localhost", "/?ms=600")));
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.headers["retry-after"]).toBeDefined();
    expect(refused[0]?.text).toMatch(/^wharf: hurried is at capacity/);
  });
});

describe("crash loop", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/crashloop.ts");
  });
  afterAll(async () => {
    await served?.stop();
  });

  it("backs off, says so in the log, and answers 503 instead of hanging", async () => {
    await served.waitFor(/Doomed keeps failing \(\d+ times in a row/, 30_000);
    const answer = await served.request("crashloop-doomed-ping-dev.localhost");
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBeDefined();
    expect(answer.text).toMatch(/^wharf: Doomed\.ping is unavailable/);
  });
});

describe("recovery after a crash loop", () => {
  let served: Served;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-heals-"));
    // Each container runs as a uid of its own (docs/isolation.md): the counter must be theirs to write.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "starts"), "0");
    chmodSync(join(dir, "starts"), 0o666);
    served = await startServe("test/fixtures/heals.ts", { env: { HEALS_COUNTER: join(dir, "starts") } });
  });
  afterAll(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts again once the backoff is over and serves", async () => {
    await served.waitFor(/Flaky keeps failing \(\d+ times in a row/, 30_000);
    expect((await served.request("heals-flaky-ping-dev.localhost")).status).toBe(503);
    // Requests refused during the backoff count as demand: the next start happens by itself.
    await expect.poll(async () => (await served.request("heals-flaky-ping-dev.localhost")).status, { timeout: 30_000, interval: 500 }).toBe(200);
  });
});

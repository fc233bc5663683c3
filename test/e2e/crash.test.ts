/**
 * A container killed (SIGKILL) under load fails only the requests that were in it: requests not yet
 * written to it go to the other container (its socket refuses them, and it is never picked
 * again), and the crash line counts exactly the failed ones.
 */
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

const HOST = "crash-inflight-worker-dev.localhost";

describe("a container killed with requests in flight, under load", () => {
  let served: Served;
  const agent = new Agent({ connections: 64 });
  beforeAll(async () => {
    served = await startServe("test/fixtures/crash-inflight.ts");
  });
  afterAll(async () => {
    await agent.destroy();
    await served?.stop();
  });

  const get = async (id: string, signal?: AbortSignal): Promise<number> => {
    try {
      const answer = await request(`http://127.0.0.1:${served.port}/${id}`, { headers: { host: HOST }, dispatcher: agent, ...(signal === undefined ? {} : { signal }) });
      await answer.body.dump();
      return answer.statusCode;
    } catch {
      return 0; // aborted at the end of the test
    }
  };
  const marks = (what: "received" | "answered", container: string): Set<string> =>
    new Set(served.lines.map((l) => new RegExp(`crash-marker: ${what} (\\S+) ${container}$`).exec(l)?.[1]).filter((id): id is string => id !== undefined));

  it("answers 502 to exactly the requests the container had, and says how many", async () => {
    const cleanup = new AbortController();
    const hangs = Array.from({ length: 6 }, (_, i) => get(`hang-${i}`, cleanup.signal));
    await expect.poll(() => served.lines.filter((l) => l.includes("crash-marker: received hang-")).length, { timeout: 10_000 }).toBe(6);

    const statuses: number[] = [];
    const failedIds: string[] = [];
    let n = 0;
    let loading = true;
    const loops = Array.from({ length: 8 }, async () => {
      while (loading) {
        const id = `quick-${n++}`;
        const status = await get(`${id}?ms=5`);
        statuses.push(status);
        if (status === 502) failedIds.push(id);
      }
    });
    await new Promise((r) => setTimeout(r, 800));
    let crash: string;
    let container: string;
    const dying = get("die");
    try {
      const died = await served.waitFor(/crash-marker: received die (\S+)$/);
      container = /received die (\S+)$/.exec(died)?.[1] ?? "";
      // The container killed itself, as an app can: the platform sees the signal it died of.
      crash = await served.waitFor(/stopped \(crash: SIGKILL\); \d+ in-flight request\(s\) failed/, 15_000);
      await new Promise((r) => setTimeout(r, 1500)); // load goes on after the exit is seen
    } finally {
      loading = false; // a failed wait ends the load too, rather than running until the worker dies
    }
    await Promise.all(loops);
    cleanup.abort();
    const hangStatuses = await Promise.all([...hangs, dying]);

    const received = marks("received", container);
    const answered = marks("answered", container);
    const inContainer = [...received].filter((id) => !answered.has(id));
    const failed = [...statuses, ...hangStatuses].filter((s) => s === 502).length;
    expect(inContainer.filter((id) => id.startsWith("hang-")).length).toBeGreaterThan(0);
    expect(failed, JSON.stringify({ failedIds, inContainer, crash, debug: served.lines.filter((l) => l.includes("DEBUG502")) })).toBe(inContainer.length);
    expect(crash).toContain(`; ${inContainer.length} in-flight request(s) failed`);
    // Everything else was answered: no request was lost to the dead container once it was gone.
    expect(statuses.filter((s) => s !== 200 && s !== 502)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(50);
  });
});

import { describe, expect, it } from "vitest";
import { decide, desiredContainers, type ContainerLoad, type PolicyOptions } from "./policy.ts";

const opts = (o: Partial<PolicyOptions> = {}): PolicyOptions => ({
  minContainers: 0, maxContainers: 10, bufferContainers: 0, targetInputs: 1, scaledownWindowMs: 60_000, ...o,
});
const busy = (id: string, inFlight = 1): ContainerLoad => ({ id, inFlight, idleSince: null, starting: false });
const idle = (id: string, since: number): ContainerLoad => ({ id, inFlight: 0, idleSince: since, starting: false });
const starting = (id: string): ContainerLoad => ({ id, inFlight: 0, idleSince: null, starting: true });

describe("desiredContainers", () => {
  it.each([
    // work, options, desired
    [0, opts(), 0],
    [1, opts(), 1],
    [5, opts(), 5],
    [5, opts({ targetInputs: 2 }), 3],
    [50, opts(), 10],
    [0, opts({ minContainers: 2 }), 2],
    [1, opts({ minContainers: 2 }), 2],
    [3, opts({ minContainers: 2 }), 3],
    [0, opts({ bufferContainers: 2 }), 0],
    [1, opts({ bufferContainers: 2 }), 3],
    [9, opts({ bufferContainers: 2 }), 10],
    [4, opts({ targetInputs: 4, maxContainers: 1 }), 1],
  ])("work %i with %o → %i", (work, options, desired) => {
    expect(desiredContainers(work, options)).toBe(desired);
  });
});

describe("decide", () => {
  const now = 1_000_000;

  it("starts containers for queued work, counting those already starting", () => {
    expect(decide({ now, inFlight: 1, queued: 3, containers: [busy("a")], options: opts() })).toEqual({ start: 3, stop: [], desired: 4 });
    expect(decide({ now, inFlight: 1, queued: 3, containers: [busy("a"), starting("b")], options: opts() })).toEqual({ start: 2, stop: [], desired: 4 });
  });

  it("never exceeds maxContainers", () => {
    expect(decide({ now, inFlight: 2, queued: 100, containers: [busy("a"), busy("b")], options: opts({ maxContainers: 3 }) }).start).toBe(1);
    expect(decide({ now, inFlight: 3, queued: 100, containers: [busy("a"), busy("b"), busy("c")], options: opts({ maxContainers: 3 }) }).start).toBe(0);
  });

  it("scales from zero on the first queued request", () => {
    expect(decide({ now, inFlight: 0, queued: 1, containers: [], options: opts() })).toEqual({ start: 1, stop: [], desired: 1 });
  });

  it("keeps idle containers until the scaledown window has passed", () => {
    const containers = [idle("a", now - 59_000)];
    expect(decide({ now, inFlight: 0, queued: 0, containers, options: opts() }).stop).toEqual([]);
    expect(decide({ now: now + 1_000, inFlight: 0, queued: 0, containers, options: opts() }).stop).toEqual(["a"]);
  });

  it("stops the longest-idle first and only down to what is needed", () => {
    const containers = [busy("a"), idle("b", now - 90_000), idle("c", now - 120_000), idle("d", now - 70_000)];
    expect(decide({ now, inFlight: 1, queued: 0, containers, options: opts({ minContainers: 2 }) })).toEqual({ start: 0, stop: ["c", "b"], desired: 2 });
  });

  it("never stops busy or starting containers", () => {
    const containers = [busy("a"), starting("b"), idle("c", now - 1_000_000)];
    expect(decide({ now, inFlight: 1, queued: 0, containers, options: opts() }).stop).toEqual(["c"]);
  });

  it("keeps minContainers warm at zero load", () => {
    const containers = [idle("a", 0), idle("b", 0)];
    expect(decide({ now, inFlight: 0, queued: 0, containers, options: opts({ minContainers: 1 }) }).stop).toEqual(["a"]);
  });

  it("keeps buffer containers while there is work", () => {
    const containers = [busy("a"), idle("b", 0), idle("c", 0)];
    expect(decide({ now, inFlight: 1, queued: 0, containers, options: opts({ bufferContainers: 2 }) })).toEqual({ start: 0, stop: [], desired: 3 });
  });
});

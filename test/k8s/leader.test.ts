/**
 * Leader election (src/backends/kubernetes/leader.ts) against the real API server, as the
 * installed Role: of two electors exactly one leads; when the leader dies (its loop stops without
 * handing the Lease back) the other leads within 15 s; a leader stopped on purpose hands over at once.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeaderElection } from "../../src/backends/kubernetes/leader.ts";
import { platformNamespace, type PlatformNamespace } from "./helpers/platform-account.ts";

const NAMESPACE = `leader-test-${process.pid}`;

async function until(what: string, test: () => boolean, timeoutMs: number): Promise<number> {
  const began = Date.now();
  while (!test()) {
    if (Date.now() - began > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - began;
}

describe("leader election", () => {
  let account: PlatformNamespace;
  let kc: KubeConfig;
  const electors: LeaderElection[] = [];
  let survivor: LeaderElection | undefined;
  const errors: string[] = [];
  const make = (identity: string): LeaderElection => {
    const e = new LeaderElection(kc, { namespace: NAMESPACE, identity, leaseSeconds: 6, renewMs: 1000, onError: (err) => errors.push(`${identity}: ${err instanceof Error ? err.message : String(err)}`) });
    electors.push(e);
    e.start();
    return e;
  };
  beforeAll(async () => {
    account = await platformNamespace(NAMESPACE);
    kc = new KubeConfig();
    kc.loadFromFile(account.kubeconfig);
  });
  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    await account?.remove();
  });

  it("elects exactly one of two, and the other takes over within 15 s when the leader dies", async () => {
    const a = make("gateway-a");
    const b = make("gateway-b");
    await until("a leader", () => a.isLeader || b.isLeader, 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; errors: ${errors.slice(0, 3).join(" | ")}`);
    });
    // A few rounds later there is still exactly one.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.isLeader ? [a, b] : [b, a];
    // Death: the loop stops and the Lease is left as it was (no hand-back).
    (leader as unknown as { stopped: boolean }).stopped = true;
    clearTimeout((leader as unknown as { timer: NodeJS.Timeout }).timer);
    const took = await until("the other to lead", () => other.isLeader, 15_000);
    expect(took).toBeLessThan(15_000);
    survivor = other;
  }, 40_000);

  it("a leader stopped on purpose hands the Lease to the other at once", async () => {
    const c = make("gateway-c");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(survivor?.isLeader).toBe(true);
    expect(c.isLeader).toBe(false);
    await survivor?.stop();
    const took = await until("c to lead", () => c.isLeader, 5000);
    expect(took).toBeLessThan(5000);
  }, 30_000);
});

/**
 * Leader election among gateways on one namespace (docs/kubernetes.md, issue 9.6): one
 * `coordination.k8s.io/v1` Lease, held by the gateway that last renewed it within its duration.
 * Every `renewMs` each elector reads the Lease: its holder renews it; another takes it over once
 * the holder's renewal is older than `leaseSeconds` (a dead gateway); every write carries the
 * `resourceVersion` it read, so two gateways never both win (409 → follower until the next round).
 * `stop()` hands the Lease back, so a gateway shut down on purpose is replaced at once.
 *
 * A building block: the backend does not use it yet (one gateway until the state lives in the
 * cluster); test/k8s/leader.test.ts checks it against the real API server.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, type V1LeaseSpec } from "@kubernetes/client-node";
import { apiStatus } from "./apply.ts";

export interface LeaderOptions {
  namespace: string;
  /** This gateway's name in the Lease's holderIdentity: unique per process. */
  identity: string;
  name?: string;
  leaseSeconds?: number;
  renewMs?: number;
  onChange?: (leader: boolean) => void;
  /** A round that failed (the API unreachable, forbidden): this gateway follows until one works. */
  onError?: (err: unknown) => void;
}

/**
 * A MicroTime as the API server parses it (RFC 3339 with exactly six fractional digits). The
 * client would send a Date as `toISOString()`'s three and get a 400; a string passes unchanged.
 */
function micro(date: Date): Date {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z") as unknown as Date;
}

export class LeaderElection {
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly leaseSeconds: number;
  private readonly renewMs: number;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(kc: KubeConfig, private readonly options: LeaderOptions) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.name = options.name ?? "wharf-leader";
    this.leaseSeconds = options.leaseSeconds ?? 10;
    this.renewMs = options.renewMs ?? 2000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    const tick = (): void => {
      this.round = this.once().catch((err: unknown) => {
        this.options.onError?.(err);
        this.set(false);
      });
      void this.round.then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.renewMs);
      });
    };
    tick();
  }

  /** One round: read, then create, renew or take over the Lease. */
  private async once(): Promise<void> {
    const { namespace, identity } = this.options;
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.name, namespace });
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
      await this.write(() => this.api.createNamespacedLease({ namespace, body: { metadata: { name: this.name, namespace }, spec: this.spec(identity, now, now, 0) } }));
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const renewed = spec.renewTime === undefined ? 0 : new Date(spec.renewTime).getTime();
    const expired = holder === "" || renewed + (spec.leaseDurationSeconds ?? this.leaseSeconds) * 1000 < now.getTime();
    if (holder !== identity && !expired) return this.set(false);
    const transitions = (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const acquired = holder === identity && spec.acquireTime !== undefined ? new Date(spec.acquireTime) : now;
    const body: V1Lease = { ...lease, spec: this.spec(identity, acquired, now, transitions) };
    await this.write(() => this.api.replaceNamespacedLease({ name: this.name, namespace, body }));
  }

  private spec(holder: string, acquired: Date, renewed: Date, transitions: number): V1LeaseSpec {
    return { holderIdentity: holder, leaseDurationSeconds: this.leaseSeconds, acquireTime: micro(acquired), renewTime: micro(renewed), leaseTransitions: transitions };
  }

  private async write(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
      this.set(true);
    } catch (err) {
      // Another gateway wrote first (409, or 409-like "already exists"): it leads this round.
      if (apiStatus(err) === 409) return this.set(false);
      throw err;
    }
  }

  private set(leader: boolean): void {
    if (this.stopped || leader === this.leading) return;
    this.leading = leader;
    this.options.onChange?.(leader);
  }

  /** Stops electing; a leader hands the Lease back (empty holder) so another takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    if (!this.leading) return;
    this.leading = false;
    const { namespace } = this.options;
    const lease = await this.api.readNamespacedLease({ name: this.name, namespace }).catch(() => undefined);
    if (lease?.spec?.holderIdentity !== this.options.identity) return;
    await this.api.replaceNamespacedLease({ name: this.name, namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: "" } } }).catch(() => {});
  }
}

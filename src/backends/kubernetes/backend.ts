/**
 * The Kubernetes backend (docs/kubernetes.md): each function of a version is a Deployment (and a
 * headless Service) rendered by render.ts; a "container" of the autoscaler is one ready pod of it.
 *
 * - `start()` raises the replica count through `/scale` at once (the gateway is the activator:
 *   no metrics round-trip before a scale from zero) and resolves with the next ready pod in the
 *   Service's Endpoints that no other start has claimed.
 * - A handle's `stop()` retires its pod (its readiness fails, so it leaves the Endpoints and the
 *   ReplicaSet deletes it first), then lowers the count.
 * - A claimed pod that leaves the ready addresses unasked has crashed: its handle exits, the count
 *   drops by one, and the autoscaler starts a replacement as it does locally.
 * The replica count is always the claimed pods plus the starts waiting for one.
 */
import { AppsV1Api, AutoscalingV1Api, CoreV1Api, KubeConfig, makeInformer, Watch, type Informer, type ObjectCache, type V1Endpoints, type V1HorizontalPodAutoscaler, type V1Pod } from "@kubernetes/client-node";
import { networkInterfaces } from "node:os";
import { request } from "undici";
import type { Backend, ContainerHandle, ContainerSpec } from "../backend.ts";
import { apiStatus, applyFunction } from "./apply.ts";
import { BundleServer } from "./bundle-server.ts";
import { renderFunction } from "./render.ts";
import { setReplicas } from "./scale.ts";
import { POD_KEY_HEADER, READY_PATH, RETIRE_PATH } from "../../runtime/pod.ts";

export interface KubernetesOptions {
  /** A kubeconfig file; undefined: the in-cluster config (a pod's service account). */
  kubeconfig?: string | undefined;
  namespace: string;
  /** The runtime image (Containerfile): Node 20 and the agent. */
  image: string;
  /** Where the bundle server listens. */
  bundleHost: string;
  bundlePort?: number;
  /**
   * The base URL pods fetch bundles from (`{bundleUrl}/{sha256}`). Default: the bundle server's
   * own address, with a wildcard host replaced by `$POD_IP` (a gateway in a pod) or this
   * machine's first non-loopback IPv4 address.
   */
  bundleUrl?: string | undefined;
  warn?: (message: string) => void;
  /** Timing lines (`WHARF_TIMING=1`): each start's time from its `/scale` write to a ready pod. */
  onEvent?: (message: string) => void;
}

const TOKEN_SECRET = "wharf-bundle-token";
const STARTUP_DEADLINE_MS = 300_000;
/** How long a claimed pod may fail its readiness probe before it counts as crashed. */
const UNREADY_GRACE_MS = 10_000;
/** How long after a lost pod the count is written again (see `lost`). */
const LOST_RESCALE_MS = 1000;
/** How often the gateway probes a starting pod's readiness itself. */
const PROBE_EVERY_MS = 10;

interface Pod {
  name: string;
  ip: string;
  port: number;
}

type Exit = { code: number | null; signal: string | null };

class PodHandle implements ContainerHandle {
  readonly address: { host: string; port: number };
  readonly pid = -1;
  readonly exited: Promise<Exit>;
  private settle!: (exit: Exit) => void;
  retiring = false;
  gone = false;
  /** Deleted by someone else (kubectl, an eviction, a node drain): it drains what it holds. */
  terminating = false;
  losing = false;
  /** Listed as ready in the Endpoints at least once (until then it was found by our own probe). */
  seenReady = false;
  /** Its containers' restarts when it was claimed: more later means it crashed. */
  restarts = 0;
  /** Retiring, and the replica count without it is written. */
  scaledAway = false;
  /** Set while it is listed not ready: fires `lost` if it stays so. */
  unready: NodeJS.Timeout | undefined;

  constructor(readonly pod: Pod, readonly headers: Record<string, string>, private readonly group: FunctionGroup) {
    this.id = pod.name;
    this.address = { host: pod.ip, port: pod.port };
    this.exited = new Promise((resolve) => (this.settle = resolve));
  }

  readonly id: string;

  exitReason(): string | undefined {
    if (this.retiring) return undefined;
    return this.terminating ? `pod ${this.pod.name} is being deleted` : `pod ${this.pod.name} is no longer ready`;
  }

  finishesInFlight(): boolean {
    return this.terminating;
  }

  end(exit: Exit): void {
    if (this.gone) return;
    this.gone = true;
    this.settle(exit);
  }

  async stop(graceMs: number): Promise<void> {
    if (this.gone) return;
    this.retiring = true;
    await this.group.retire(this, graceMs);
  }
}

class FunctionGroup {
  private readonly ready = new Map<string, Pod>();
  private readonly present = new Set<string>();
  /** Pods our own probe found serving before the Endpoints list them ready (see `watchPods`). */
  private readonly early = new Map<string, Pod>();
  private readonly probing = new Set<string>();
  private abortPodWatch: (() => void) | undefined;
  private readonly claimed = new Map<string, PodHandle>();
  private readonly waiting: { resolve: (pod: Pod) => void; reject: (err: Error) => void }[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private abortWatch: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly backend: KubernetesBackend,
  ) {}

  /** Replicas wanted: every claimed pod and every start waiting for one. */
  private get desired(): number {
    // A retiring pod keeps its place until the write that removes it: a start meanwhile must
    // raise the count past it, or the ReplicaSet would see enough pods and start none.
    return [...this.claimed.values()].filter((h) => !h.scaledAway).length + this.waiting.length;
  }

  watch(): void {
    if (this.closed) return;
    const path = `/api/v1/namespaces/${this.backend.options.namespace}/endpoints`;
    void this.backend.watcher
      .watch(path, { fieldSelector: `metadata.name=${this.name}` }, (type, object: V1Endpoints) => this.onEndpoints(type === "DELETED" ? undefined : object), () => {
        // The API server ends watches now and then: start again (after a breath, if it failed).
        if (!this.closed) setTimeout(() => this.watch(), 200);
      })
      .then((req: { abort(): void }) => (this.abortWatch = () => req.abort()), () => !this.closed && setTimeout(() => this.watch(), 500));
  }

  /**
   * Watches the function's pods so a starting one is used the moment it serves: the gateway
   * probes `/.wharf/ready` on the pod itself every few milliseconds (as Knative's activator does)
   * instead of waiting for the kubelet's next readiness probe (1 s apart at best) and the
   * Endpoints controller after it. A pod claimed that way that is deleted or restarts before the
   * Endpoints list it is lost as any other.
   */
  watchPods(selector: string): void {
    if (this.closed) return;
    const path = `/api/v1/namespaces/${this.backend.options.namespace}/pods`;
    void this.backend.watcher
      .watch(path, { labelSelector: selector }, (type, pod: V1Pod) => this.onPod(type, pod), () => {
        if (!this.closed) setTimeout(() => this.watchPods(selector), 200);
      })
      .then((req: { abort(): void }) => (this.abortPodWatch = () => req.abort()), () => !this.closed && setTimeout(() => this.watchPods(selector), 500));
  }

  private onPod(type: string, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (name === undefined) return;
    const handle = this.claimed.get(name);
    const gone = type === "DELETED" || (pod.metadata?.deletionTimestamp ?? undefined) !== undefined;
    const restarts = pod.status?.containerStatuses?.reduce((n, c) => n + c.restartCount, 0) ?? 0;
    // A restarted container is a crash at once; a deletion is seen here before the Endpoints
    // only for a pod claimed from our own probe (the Endpoints report the others).
    if (handle !== undefined && !handle.retiring && (restarts > handle.restarts || (gone && !handle.seenReady))) {
      void this.lost(handle, !gone);
      return;
    }
    if (gone) {
      this.early.delete(name);
      this.restartsAtClaim.delete(name);
      return;
    }
    if (handle === undefined) this.restartsAtClaim.set(name, restarts);
    const ip = pod.status?.podIP;
    const port = pod.spec?.containers[0]?.ports?.find((p) => p.name === "http")?.containerPort;
    if (ip === undefined || port === undefined || this.claimed.has(name) || this.ready.has(name) || this.early.has(name)) return;
    if (this.waiting.length > 0) void this.probe({ name, ip, port });
  }

  private async probe(pod: Pod): Promise<void> {
    if (this.probing.has(pod.name)) return;
    this.probing.add(pod.name);
    try {
      const until = Date.now() + STARTUP_DEADLINE_MS;
      while (!this.closed && this.waiting.length > 0 && !this.claimed.has(pod.name) && !this.ready.has(pod.name) && Date.now() < until) {
        const ok = await request(`http://${pod.ip}:${pod.port}${READY_PATH}`, { headers: this.backend.podHeaders, headersTimeout: 1000, bodyTimeout: 1000 })
          .then(async (r) => (await r.body.dump(), r.statusCode === 200), () => false);
        if (ok) {
          this.early.set(pod.name, { ...pod });
          this.handOut();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
      }
    } finally {
      this.probing.delete(pod.name);
    }
  }

  /** Each unclaimed pod's container restarts, from the pod watch: a claimed one's baseline. */
  private readonly restartsAtClaim = new Map<string, number>();

  private onEndpoints(object: V1Endpoints | undefined): void {
    this.ready.clear();
    this.present.clear();
    for (const subset of object?.subsets ?? []) {
      const port = subset.ports?.find((p) => p.name === "http")?.port ?? subset.ports?.[0]?.port ?? 0;
      for (const a of subset.addresses ?? []) {
        const name = a.targetRef?.name ?? a.ip;
        this.ready.set(name, { name, ip: a.ip, port });
        this.present.add(name);
      }
      for (const a of subset.notReadyAddresses ?? []) this.present.add(a.targetRef?.name ?? a.ip);
    }
    for (const handle of this.claimed.values()) {
      if (this.ready.has(handle.pod.name)) {
        handle.seenReady = true;
        this.early.delete(handle.pod.name);
      }
      if (handle.retiring) {
        if (!this.present.has(handle.pod.name)) this.release(handle, { code: 0, signal: null });
        continue;
      }
      // Claimed from our own probe and not listed yet: the pod watch tells if it is lost.
      if (!handle.seenReady) continue;
      if (this.ready.has(handle.pod.name)) {
        clearTimeout(handle.unready);
        handle.unready = undefined;
      } else if (!this.present.has(handle.pod.name)) void this.lost(handle, false);
      else {
        // Listed but failing its readiness probe: a pod under load misses a probe now and then.
        // Lost only if it stays so (its app hangs or died); the gateway's retries cover meanwhile.
        handle.unready ??= setTimeout(() => void this.lost(handle, true), UNREADY_GRACE_MS);
      }
    }
    this.handOut();
  }

  /** Gives waiting starts the ready pods nobody holds. */
  private handOut(): void {
    for (const pod of [...this.ready.values(), ...this.early.values()]) {
      if (this.waiting.length === 0) return;
      if (this.claimed.has(pod.name)) continue;
      const next = this.waiting.shift();
      // Claimed before the start resolves, so no other start takes it meanwhile.
      const handle = new PodHandle(pod, this.backend.podHeaders, this);
      handle.restarts = this.restartsAtClaim.get(pod.name) ?? 0;
      handle.seenReady = this.ready.has(pod.name);
      this.claimed.set(pod.name, handle);
      next?.resolve(pod);
    }
    // Nobody waits: a probed pod not taken is the Endpoints' to report from now on.
    if (this.waiting.length === 0) for (const name of this.early.keys()) if (!this.claimed.has(name)) this.early.delete(name);
  }

  async start(): Promise<ContainerHandle> {
    const contested = this.backend.contest(this.name);
    if (contested !== undefined) throw new Error(contested);
    const found = new Promise<Pod>((resolve, reject) => this.waiting.push({ resolve, reject }));
    const written = this.scale();
    this.handOut();
    if (process.env["WHARF_TIMING"] === "1") {
      void Promise.all([written.then(() => performance.now()), found.then(() => performance.now())]).then(([wrote, ready]) => {
        this.backend.options.onEvent?.(`[timing] ${this.name}: /scale write to a ready pod took ${Math.max(0, ready - wrote).toFixed(1)} ms`);
      }, () => {});
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no pod of ${this.name} became ready within ${STARTUP_DEADLINE_MS / 1000}s: see kubectl describe deployment ${this.name}`)), STARTUP_DEADLINE_MS);
    });
    try {
      const pod = await Promise.race([found, deadline]);
      return this.claimed.get(pod.name) as PodHandle;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A claimed pod left the ready addresses without being asked: its handle exits and the
   * autoscaler replaces it. Not ready but listed (its app hangs or died) is a crash; gone from the
   * list with a deletion under way is a pod someone deleted: no new requests, but what it holds
   * finishes (preStop, then the agent's drain on SIGTERM).
   */
  private async lost(handle: PodHandle, listed: boolean): Promise<void> {
    if (handle.gone || handle.retiring || handle.losing) return;
    handle.losing = true;
    if (!listed) {
      const pod = await this.backend.core.readNamespacedPod({ name: handle.pod.name, namespace: this.backend.options.namespace }).catch(() => undefined);
      handle.terminating = pod?.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
    }
    if (handle.gone || handle.retiring || !this.claimed.has(handle.pod.name)) return;
    this.release(handle, { code: null, signal: handle.terminating ? "pod deleted" : "pod not ready" });
    // Not at once: the autoscaler's replacement start comes right after the exit, and a count
    // written between the two would drop to zero and make the ReplicaSet delete the fresh pod
    // that start is about to claim. A second later the count includes the replacement.
    setTimeout(() => {
      if (!this.closed) this.scale();
    }, LOST_RESCALE_MS).unref();
  }

  private release(handle: PodHandle, exit: Exit): void {
    clearTimeout(handle.unready);
    this.claimed.delete(handle.pod.name);
    this.early.delete(handle.pod.name);
    handle.end(exit);
  }

  async retire(handle: PodHandle, graceMs: number): Promise<void> {
    // Readiness fails first (the pod stays up to finish what it has), so the ReplicaSet deletes
    // this pod, not another, when the count drops.
    await request(`http://${handle.pod.ip}:${handle.pod.port}${RETIRE_PATH}`, { method: "POST", headers: this.backend.podHeaders })
      .then((r) => r.body.dump())
      .catch(() => {});
    const left = Date.now() + Math.min(graceMs, 5000) + 3000;
    while (this.ready.has(handle.pod.name) && Date.now() < left && !this.closed) await new Promise((r) => setTimeout(r, 50));
    // The ReplicaSet removes a not-ready pod first, and among those the newest: so the count drops
    // only once no other pod of ours is still starting (else a new pod would go instead of this one).
    const settled = Date.now() + 30_000;
    const starting = (): boolean => this.waiting.length > 0 || [...this.claimed.values()].some((h) => !h.retiring && !h.seenReady);
    while (starting() && Date.now() < settled && !this.closed) await new Promise((r) => setTimeout(r, 50));
    handle.scaledAway = true;
    this.scale();
    const gone = setTimeout(() => this.release(handle, { code: 0, signal: null }), graceMs + 10_000);
    await handle.exited;
    clearTimeout(gone);
  }

  /** Writes the replica count, one write at a time, each with the count of its own moment. */
  private scale(): Promise<unknown> {
    // A user's HPA owns the count now: write nothing (the backend has said why, once).
    if (this.backend.contest(this.name) !== undefined) return this.writes;
    this.writes = this.writes
      .then(() => setReplicas(this.backend.apps, this.backend.options.namespace, this.name, this.desired))
      .catch((err: unknown) => this.backend.options.warn?.(`could not scale ${this.name}: ${err instanceof Error ? err.message : String(err)}`));
    return this.writes;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abortWatch?.();
    this.abortPodWatch?.();
    for (const w of this.waiting.splice(0)) w.reject(new Error("the backend is closed"));
    for (const handle of this.claimed.values()) handle.end({ code: 0, signal: null });
    this.claimed.clear();
    await this.writes;
  }
}

/** A host pods can reach for an address the bundle server listens on. */
function reachable(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host.includes(":") ? `[${host}]` : host;
  const podIp = process.env["POD_IP"];
  if (podIp !== undefined && podIp !== "") return podIp;
  const found = Object.values(networkInterfaces()).flat().find((i) => i !== undefined && i.family === "IPv4" && !i.internal);
  if (found === undefined) throw new Error("no address pods could fetch bundles from: pass --bundle-url or --bundle-host ADDR");
  return found.address;
}

export class KubernetesBackend implements Backend {
  readonly networkIsolation = true;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly watcher: Watch;
  readonly podHeaders: Record<string, string>;
  private readonly bundles = new BundleServer();
  private bundleBase: Promise<string>;
  private readonly groups = new Map<string, Promise<FunctionGroup>>();
  private secretReady: Promise<void> | undefined;
  private readonly kc: KubeConfig;
  private hpas: (Informer<V1HorizontalPodAutoscaler> & ObjectCache<V1HorizontalPodAutoscaler>) | undefined;
  private hpasSynced: Promise<void> | undefined;
  private readonly reported = new Set<string>();

  constructor(readonly options: KubernetesOptions) {
    const kc = new KubeConfig();
    if (options.kubeconfig === undefined) kc.loadFromCluster();
    else kc.loadFromFile(options.kubeconfig);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kc);
    this.kc = kc;
    this.podHeaders = { [POD_KEY_HEADER]: this.bundles.token };
    this.bundleBase = this.bundles.listen(options.bundleHost, options.bundlePort ?? 0).then(({ host, port }) => options.bundleUrl?.replace(/\/$/, "") ?? `http://${reachable(host)}:${port}/bundles`);
  }

  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    const group = await this.group(spec);
    return group.start();
  }

  /**
   * Why Wharf must not scale `deployment`, when a HorizontalPodAutoscaler of the user's targets
   * it (two autoscalers writing one replica count fight); undefined when none does.
   */
  contest(deployment: string): string | undefined {
    const hpa = this.hpas?.list().find((h) => h.spec?.scaleTargetRef.kind === "Deployment" && h.spec.scaleTargetRef.name === deployment);
    if (hpa === undefined) return undefined;
    const name = hpa.metadata?.name ?? "?";
    const message = `HorizontalPodAutoscaler ${name} scales Wharf's Deployment ${deployment}, whose replicas Wharf's autoscaler owns: delete it (kubectl delete hpa ${name} -n ${this.options.namespace}) and set minContainers/maxContainers on the function instead`;
    if (!this.reported.has(name)) {
      this.reported.add(name);
      this.options.warn?.(message);
    }
    return message;
  }

  /** Watches the namespace's HPAs (list, then watch: resolves once the first list is in). */
  private watchHpas(): Promise<void> {
    if (this.hpasSynced !== undefined) return this.hpasSynced;
    const api = this.kc.makeApiClient(AutoscalingV1Api);
    const namespace = this.options.namespace;
    const informer = makeInformer(this.kc, `/apis/autoscaling/v1/namespaces/${namespace}/horizontalpodautoscalers`, () => api.listNamespacedHorizontalPodAutoscaler({ namespace }));
    informer.on("delete", (h) => this.reported.delete(h.metadata?.name ?? ""));
    informer.on("error", () => setTimeout(() => void informer.start().catch(() => {}), 1000));
    this.hpas = informer;
    this.hpasSynced = informer.start().catch((err: unknown) => {
      this.hpasSynced = undefined;
      throw new Error(`could not list HorizontalPodAutoscalers in ${namespace}: ${err instanceof Error ? err.message : String(err)} (the Role of wharf k8s install allows it)`);
    });
    return this.hpasSynced;
  }

  private group(spec: ContainerSpec): Promise<FunctionGroup> {
    if (spec.app === undefined) throw new Error("the Kubernetes backend needs the function's manifest (ContainerSpec.app)");
    const { name: app, version, function: fn } = spec.app;
    const sha = this.bundles.register(spec.bundle);
    const key = `${app}/${version}/${fn.name}/${sha}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = (async () => {
        await Promise.all([this.ensureSecret(), this.watchHpas()]);
        const rendered = renderFunction(fn, { app, version, bundleSha256: sha }, {
          namespace: this.options.namespace,
          image: this.options.image,
          bundleBase: await this.bundleBase,
          bundleTokenSecret: TOKEN_SECRET,
        });
        await applyFunction({ apps: this.apps, core: this.core }, rendered, 0);
        const made = new FunctionGroup(rendered.deployment.metadata?.name ?? "", this);
        made.watch();
        const selector = Object.entries(rendered.deployment.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
        made.watchPods(selector);
        return made;
      })();
      group.catch(() => this.groups.delete(key));
      this.groups.set(key, group);
    }
    return group;
  }

  private ensureSecret(): Promise<void> {
    this.secretReady ??= (async () => {
      const body = { metadata: { name: TOKEN_SECRET, namespace: this.options.namespace, labels: { "app.kubernetes.io/managed-by": "wharf" } }, stringData: { token: this.bundles.token } };
      try {
        await this.core.createNamespacedSecret({ namespace: this.options.namespace, body });
      } catch (err) {
        if (apiStatus(err) !== 409) throw err;
        await this.core.replaceNamespacedSecret({ name: TOKEN_SECRET, namespace: this.options.namespace, body });
      }
    })();
    return this.secretReady;
  }

  /** A replaced or stopped version: its Deployments (already at 0) and Services are deleted. */
  async releaseVersion(app: string, version: number): Promise<void> {
    const prefix = `${app}/${version}/`;
    await this.remove([...this.groups.keys()].filter((key) => key.startsWith(prefix)));
  }

  private async remove(keys: string[]): Promise<void> {
    const groups = await Promise.all(keys.map((key) => {
      const group = this.groups.get(key);
      this.groups.delete(key);
      return group?.catch(() => undefined);
    }));
    await Promise.all(
      groups.map(async (g) => {
        if (g === undefined) return;
        await g.close();
        const namespace = this.options.namespace;
        await this.apps.deleteNamespacedDeployment({ name: g.name, namespace }).catch(() => {});
        await this.core.deleteNamespacedService({ name: g.name, namespace }).catch(() => {});
      }),
    );
  }

  /** Scales every function to zero and removes its objects (the state is the server's data dir, not the cluster, for now). */
  async close(): Promise<void> {
    await this.remove([...this.groups.keys()]);
    await this.hpas?.stop();
    await this.bundles.close();
  }
}

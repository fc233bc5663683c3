/**
 * Pod networking of the test cluster's node agent: one network namespace per pod, joined to the
 * host's bridge by a veth pair, with a routable address from the node's pod CIDR. The gateway on
 * the host reaches pods at those addresses, as it would reach pod IPs on a real cluster.
 */
import { execFileSync } from "node:child_process";

export interface PodNetworkConfig {
  bridge: string;
  /** The bridge's address, the pods' default route (e.g. 10.244.0.1). */
  gateway: string;
  /** A /24, e.g. 10.244.0.0/24: pods get .2 to .254. */
  cidr: string;
}

export interface PodNet {
  namespace: string;
  ip: string;
  hostVeth: string;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export class PodNetwork {
  private readonly used = new Set<number>();
  private readonly prefix: string;

  constructor(private readonly config: PodNetworkConfig) {
    const [base, bits] = config.cidr.split("/");
    if (bits !== "24" || base === undefined) throw new Error(`pod CIDR ${config.cidr}: only a /24 is supported`);
    this.prefix = base.split(".").slice(0, 3).join(".");
    this.used.add(Number(config.gateway.split(".")[3]));
  }

  /** Creates the namespace `wharf-pod-{key}` with its address; `key` is short and unique per pod. */
  create(key: string): PodNet {
    let host = 2;
    while (this.used.has(host) && host < 255) host++;
    if (host >= 255) throw new Error(`pod CIDR ${this.config.cidr} is full`);
    this.used.add(host);
    const namespace = `wharf-pod-${key}`;
    const hostVeth = `wv${key}`.slice(0, 15);
    const podVeth = `wp${key}`.slice(0, 15);
    const address = `${this.prefix}.${host}`;
    try {
      ip("netns", "add", namespace);
      ip("link", "add", hostVeth, "type", "veth", "peer", "name", podVeth);
      ip("link", "set", podVeth, "netns", namespace);
      ip("link", "set", hostVeth, "master", this.config.bridge, "up");
      ip("-n", namespace, "link", "set", podVeth, "name", "eth0");
      ip("-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0");
      ip("-n", namespace, "link", "set", "eth0", "up");
      ip("-n", namespace, "link", "set", "lo", "up");
      ip("-n", namespace, "route", "add", "default", "via", this.config.gateway);
    } catch (err) {
      this.remove({ namespace, ip: address, hostVeth });
      throw err;
    }
    return { namespace, ip: address, hostVeth };
  }

  remove(net: PodNet): void {
    for (const args of [["link", "delete", net.hostVeth], ["netns", "delete", net.namespace]]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
    this.used.delete(Number(net.ip.split(".")[3]));
  }
}

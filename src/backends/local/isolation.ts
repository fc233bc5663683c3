/**
 * Whether containers can get their own network namespace here (`unshare --net`, needs root or
 * user namespaces). Without it, containers share the host's loopback. And whether they can also
 * get a mount namespace (`unshare --mount`), used to hide every other container's socket.
 */
import { spawnSync } from "node:child_process";

let cached: boolean | undefined;

export function netnsAvailable(): boolean {
  if (cached === undefined) {
    if (process.env["WHARF_NO_NETNS"] === "1") cached = false;
    else {
      const probe = spawnSync("unshare", ["--net", "--", "ip", "link", "set", "lo", "up"], { stdio: "ignore", timeout: 5000 });
      cached = probe.status === 0;
    }
  }
  return cached;
}

let mountCached: boolean | undefined;

export function mountnsAvailable(): boolean {
  if (mountCached === undefined) {
    const probe = spawnSync("unshare", ["--net", "--mount", "--", "mount", "-t", "tmpfs", "-o", "size=4k", "wharf-probe", "/mnt"], { stdio: "ignore", timeout: 5000 });
    mountCached = netnsAvailable() && probe.status === 0;
  }
  return mountCached;
}

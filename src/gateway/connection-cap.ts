/**
 * A cap on open client connections, global and per client IP: past either, the oldest idle
 * connection in its scope is closed to make room (a keep-alive connection waiting for its next
 * request costs memory and a file descriptor, and nothing else); when every one is busy, the new
 * connection is refused with 503.
 */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { rawResponse } from "../shared/refusals.ts";

interface Tracked {
  ip: string;
  /** Requests (or an upgrade) under way on it. */
  busy: number;
}

export interface CapLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
}

export class ConnectionCap {
  /** Insertion order is age order: the first idle one found is the oldest. */
  private readonly open = new Map<Duplex, Tracked>();
  private readonly perIp = new Map<string, number>();
  /** Idle connections closed to make room, and new ones refused because none was idle. */
  readonly totals = { closedIdle: 0, refused: 0 };

  /**
   * One listener shared by every connection (`this` is the socket): a closure, or `once`'s
   * wrapper, per connection would cost each idle one ~300 bytes more (docs/edge.md, "Connections").
   */
  private readonly onClose: (this: Duplex) => void;

  constructor(private readonly limits: CapLimits) {
    const cap = this;
    this.onClose = function (this: Duplex) {
      cap.forget(this);
    };
  }

  get size(): number {
    return this.open.size;
  }

  /** A new client connection: admitted (making room if need be) or answered 503 and closed. */
  admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? "";
    if ((this.perIp.get(ip) ?? 0) >= this.limits.maxConnectionsPerIp && !this.closeOldestIdle(ip)) return this.refuse(socket, `from ${ip}`);
    if (this.open.size >= this.limits.maxConnections && !this.closeOldestIdle(undefined)) return this.refuse(socket, "in all");
    this.open.set(socket, { ip, busy: 0 });
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    socket.on("close", this.onClose);
    return true;
  }

  /** A request (or an upgrade) started on `socket`; `done` when it ended. */
  busy(socket: Duplex): () => void {
    const tracked = this.open.get(socket);
    if (tracked === undefined) return () => {};
    tracked.busy++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      tracked.busy--;
    };
  }

  /** Stops counting a connection that left the gateway (handed to a container). */
  forget(socket: Duplex): void {
    const tracked = this.open.get(socket);
    if (tracked === undefined) return;
    this.open.delete(socket);
    socket.off("close", this.onClose);
    const left = (this.perIp.get(tracked.ip) ?? 1) - 1;
    if (left === 0) this.perIp.delete(tracked.ip);
    else this.perIp.set(tracked.ip, left);
  }

  private closeOldestIdle(ip: string | undefined): boolean {
    for (const [socket, tracked] of this.open) {
      if (tracked.busy > 0 || (ip !== undefined && tracked.ip !== ip)) continue;
      this.forget(socket);
      socket.destroy();
      this.totals.closedIdle++;
      return true;
    }
    return false;
  }

  private refuse(socket: Socket, scope: string): false {
    this.totals.refused++;
    socket.on("error", () => socket.destroy());
    socket.end(rawResponse({ status: 503, message: `wharf: too many open connections ${scope}, none idle; retry later` }, { "retry-after": "1" }));
    setTimeout(() => socket.destroy(), 1000).unref();
    return false;
  }
}

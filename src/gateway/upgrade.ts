/**
 * Upgrades (WebSockets) at the gateway: the same admission, routing and proxy auth as requests,
 * then a slot of the function's pool held for as long as the connection lives (up to `timeout`),
 * with the raw bytes relayed to the container's socket.
 */
import type { IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { RetiredError, type Member } from "../autoscaler/pool.ts";
import { ENDPOINT_HEADER } from "../runtime/protocol.ts";
import { isPlatformHeader } from "../shared/forwarding.ts";
import type { GatewayEndpoint } from "./gateway.ts";
import { forwardedHeaders } from "./headers.ts";
import type { EdgeLimits } from "../shared/limits.ts";
import { PlatformError, poolError } from "./platform-errors.ts";
import { admitRequest, rawResponse } from "../shared/refusals.ts";
import { headerPairs, relayUpgrade } from "../shared/upgrade-relay.ts";

export interface UpgradeContext {
  route(req: IncomingMessage): GatewayEndpoint;
  limits: EdgeLimits;
  /** Connections whose parser failed: nothing more from them is forwarded. */
  broken: WeakSet<Duplex>;
  /** Open upgraded connections, ended when the gateway closes. */
  upgraded: Set<Duplex>;
}

export async function handleUpgrade(ctx: UpgradeContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on("error", () => socket.destroy());
  if (ctx.broken.has(socket)) {
    socket.destroy();
    return;
  }
  const admitted = admitRequest(req, ctx.limits);
  if ("refusal" in admitted) {
    socket.end(rawResponse(admitted.refusal));
    return;
  }
  req.url = admitted.path;
  const refuse = (err: unknown): void => {
    const e = err instanceof PlatformError ? err : new PlatformError(500, "wharf: internal error");
    socket.end(rawResponse({ status: e.status, message: e.message }, e.headers));
  };
  let endpoint: GatewayEndpoint;
  try {
    endpoint = ctx.route(req);
  } catch (err) {
    refuse(err);
    return;
  }
  // Waiting for a slot ends when the client goes away or the function's timeout passes.
  const waiting = new AbortController();
  const onGone = (): void => waiting.abort(new Error("client went away"));
  socket.once("close", onGone);
  const timer = setTimeout(() => waiting.abort(new PlatformError(504, `wharf: ${endpoint.name} had no free container within its timeout of ${endpoint.timeoutMs / 1000}s`)), endpoint.timeoutMs);
  let member: Member | undefined;
  try {
    for (;;) {
      try {
        member = await endpoint.pool.acquire(waiting.signal);
        break;
      } catch (err) {
        if (!(err instanceof RetiredError)) throw err;
        const next = ctx.route(req); // a reload retired the pool: the new version takes it
        if (next.pool === endpoint.pool) throw new PlatformError(503, `wharf: ${endpoint.name} is stopping`, { "retry-after": "5" });
        endpoint = next;
      }
    }
  } catch (err) {
    if (!socket.destroyed) refuse(err instanceof PlatformError ? err : poolError(err, endpoint));
    return;
  } finally {
    clearTimeout(timer);
    socket.off("close", onGone);
  }
  const slot = member;
  if (socket.destroyed) {
    endpoint.pool.release(slot);
    return;
  }
  // An open WebSocket holds its input slot; like any request it ends at the function's timeout.
  ctx.upgraded.add(socket);
  const cutoff = setTimeout(() => socket.destroy(), endpoint.timeoutMs);
  const pool = endpoint.pool;
  socket.once("close", () => {
    clearTimeout(cutoff);
    ctx.upgraded.delete(socket);
    pool.release(slot);
  });
  const drop = (name: string, value: string): boolean => isPlatformHeader(name, value);
  const extra = Object.entries(forwardedHeaders(req)).flat();
  if (endpoint.method !== null) extra.push(ENDPOINT_HEADER, endpoint.method);
  for (const [name, value] of Object.entries(slot.handle.headers ?? {})) extra.push(name, value);
  const { address } = slot.handle;
  relayUpgrade(req, socket, head, "socketPath" in address ? connect(address.socketPath) : connect(address.port, address.host), [...headerPairs(req, drop), ...extra]);
}

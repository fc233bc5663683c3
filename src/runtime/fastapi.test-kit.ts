/** Shared set-up of the in-process fastapiEndpoint tests: a handler for a spec, and requests. */
import type { WebSpec } from "../sdk/spec.ts";
import { createFastapiHandler, type EndpointCall } from "./fastapi.ts";

export const ORIGIN = "http://example-hello.localhost:8000";

export function serve(options: Omit<Partial<WebSpec>, "kind">, call: EndpointCall = () => ({ ok: true })) {
  const spec: WebSpec = { kind: "fastapi", customDomains: [], requiresProxyAuth: false, sourceName: "hello", ...options };
  return createFastapiHandler(spec, call, { name: "hello" });
}

export function req(path: string, init?: RequestInit): Request {
  return new Request(new URL(path, ORIGIN), init);
}

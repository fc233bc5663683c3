/**
 * One container's serving state: the class instance (if any), `enter` hooks, then each
 * endpoint's factory or handler adapted to a Node request listener, and `exit` hooks at the end.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { WharfError } from "../sdk/errors.ts";
import type { EndpointContext, FetchApp, NodeApp } from "../sdk/types.ts";
import { factoryResultProblem, isPromise } from "./factory-check.ts";
import { createFastapiHandler, type FastapiHandler } from "./fastapi.ts";
import type { LoadedEndpoint, LoadedFunction } from "./load.ts";
import { canConnect, relayTo, waitForPort } from "./web-server.ts";
import { closeAll, fetchUpgrade, installBridge, nodeUpgrade, refuseUpgrade, type UpgradeListener } from "./websocket.ts";

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;
export type { UpgradeListener };

export interface ServingEndpoint {
  name: string;
  listener: NodeListener;
  upgrade?: UpgradeListener;
}

export interface Container {
  /** Endpoints by method name (classes) or the function's name. */
  endpoints: Map<string, ServingEndpoint>;
  shutdown(): Promise<void>;
}

type Callable = (...args: unknown[]) => unknown;

export async function startContainer(fn: LoadedFunction): Promise<Container> {
  const instance = fn.registration.kind === "class" ? construct(fn) : undefined;
  for (const hook of fn.hooks.enter) await callMethod(instance, hook);
  const endpoints = new Map<string, ServingEndpoint>();
  const closers: (() => void)[] = [];
  for (const endpoint of fn.endpoints) {
    const serving = await serveEndpoint(endpoint, instance, closers);
    endpoints.set(endpoint.manifest.method ?? endpoint.manifest.name, serving);
  }
  return {
    endpoints,
    async shutdown() {
      for (const close of closers) close();
      for (const hook of fn.hooks.exit) await callMethod(instance, hook);
    },
  };
}

function construct(fn: LoadedFunction): object {
  const Class = fn.registration.target as new () => object;
  return new Class();
}

async function callMethod(instance: object | undefined, method: string): Promise<void> {
  const value = (instance as Record<string, unknown> | undefined)?.[method];
  if (typeof value === "function") await (value as Callable).call(instance);
}

/** Read once at load: the agent removes its WHARF_ variables before user code runs. */
const OWN_NETWORK = process.env["WHARF_NETNS"] === "1";

async function serveEndpoint(endpoint: LoadedEndpoint, instance: object | undefined, closers: (() => void)[]): Promise<ServingEndpoint> {
  const { manifest, spec } = endpoint;
  const call: Callable = (...args) => endpoint.fn.apply(instance, args);
  const name = manifest.name;
  switch (spec.kind) {
    case "fastapi": {
      const handler = createFastapiHandler(spec, (input, ctx: EndpointContext) => call(input, ctx), { name });
      return { name, listener: fastapiListener(handler), upgrade: refuseUpgrade(`wharf: ${name} is a fastapiEndpoint, which does not accept WebSocket upgrades; serve WebSockets from an asgiApp, wsgiApp or webServer`) };
    }
    case "asgi": {
      const app = checkedFactoryResult(spec.kind, name, call()) as FetchApp;
      const fetch = typeof app === "function" ? app : app.fetch.bind(app);
      installBridge();
      closers.push(closeAll);
      return { name, listener: fetchListener(fetch), upgrade: fetchUpgrade(fetch) };
    }
    case "wsgi": {
      const app = checkedFactoryResult(spec.kind, name, call()) as NodeApp;
      return { name, listener: await nodeListener(app), upgrade: nodeUpgrade(name, app) };
    }
    case "webServer": {
      const port = manifest.port ?? 0;
      if (!OWN_NETWORK && (await canConnect(port))) {
        // Sharing the host's network, the port is taken (often by the version being replaced):
        // waiting for it would mistake that server for ours.
        throw new WharfError(
          "PORT_IN_USE",
          `webServer ${name}: port ${port} is already in use on this host (without network namespaces containers share it, and the previous version may still hold it): free the port, or restart wharf serve`,
        );
      }
      const result = call();
      if (isPromise(result)) throw new WharfError("FACTORY_INVALID", factoryResultProblem(spec.kind, name, result) ?? "");
      await waitForPort(name, port, manifest.startupTimeout ?? 5);
      const relay = relayTo(port);
      closers.push(relay.close);
      return { name, listener: relay.listener, upgrade: relay.upgrade };
    }
  }
}

function checkedFactoryResult(kind: "asgi" | "wsgi", name: string, value: unknown): unknown {
  const problem = factoryResultProblem(kind, name, value);
  if (problem !== undefined) throw new WharfError("FACTORY_RESULT_INVALID", problem);
  return value;
}

export function fetchListener(fetch: (request: Request) => Response | Promise<Response>): NodeListener {
  const listener = getRequestListener((request) => fetch(request));
  return (req, res) => void listener(req, res);
}

/**
 * A fastapiEndpoint's listener: the common request answered by `handler.direct` and written here
 * (the JSON of a 200, with the CORS headers `finish` adds); any other answer, and any other
 * request, goes through the fetch adapter as before.
 */
export function fastapiListener(handler: FastapiHandler): NodeListener {
  const computed = new WeakMap<object, Response>();
  const listener = getRequestListener((request, env: { incoming: object }) => {
    const response = computed.get(env.incoming);
    return response ?? handler(request);
  });
  return (req, res) => {
    const answer = handler.direct(req);
    if (answer === undefined) {
      void listener(req, res);
      return;
    }
    answer.then(
      (a) => {
        if ("response" in a) {
          computed.set(req, a.response);
          void listener(req, res);
          return;
        }
        res.writeHead(a.status, {
          // The order a `Headers` iterates in (sorted), as the fetch adapter writes them.
          "access-control-allow-credentials": "true",
          "access-control-allow-origin": a.origin,
          "content-type": "application/json",
          vary: "Origin",
          "content-length": Buffer.byteLength(a.body),
        });
        res.end(a.body);
      },
      (err: unknown) => {
        console.error(err);
        res.destroy();
      },
    );
  };
}

async function nodeListener(app: NodeApp): Promise<NodeListener> {
  if (typeof app === "function") return (req, res) => void app(req, res);
  if ("callback" in app) {
    const callback = app.callback();
    return (req, res) => void callback(req, res);
  }
  await app.ready();
  return (req, res) => void app.routing(req, res);
}

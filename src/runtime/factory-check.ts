/**
 * The factory rules of docs/reference.md §1.3 (asgiApp, wsgiApp, webServer): synchronous, no parameters.
 * Checked on the function's source because `fn.length` ignores defaulted and rest parameters.
 */
import { types } from "node:util";
import type { WebKind } from "../sdk/spec.ts";

const DECORATOR: Record<WebKind, string> = {
  fastapi: "fastapiEndpoint",
  asgi: "asgiApp",
  wsgi: "wsgiApp",
  webServer: "webServer",
};

const CORRECT_FORM: Record<WebKind, string> = {
  fastapi: "",
  asgi: "asgiApp()(function createApp() { const web = new Hono(); …; return web; })",
  wsgi: "wsgiApp()(function createApp() { const web = express(); …; return web; })",
  webServer: "webServer(8000)(function start() { spawn(\"python3\", [\"-m\", \"http.server\", \"8000\"]); })",
};

export function decoratorName(kind: WebKind): string {
  return DECORATOR[kind];
}

/** The problem with `fn` as a factory of `kind`, or undefined when it follows the rules. */
export function factoryProblem(kind: WebKind, name: string, fn: unknown): string | undefined {
  if (kind === "fastapi") return undefined;
  const dec = DECORATOR[kind];
  if (typeof fn !== "function") return `${dec} on ${name}: expected a function, got ${typeof fn}`;
  const ctor = (fn as { constructor?: { name?: string } }).constructor?.name;
  if (ctor === "AsyncFunction" || ctor === "AsyncGeneratorFunction") {
    return `${dec} can't be applied to an async function: ${name} is async. Make it synchronous and return the app itself, e.g. ${CORRECT_FORM[kind]}`;
  }
  if (hasParameters(Function.prototype.toString.call(fn))) {
    return `${dec} function ${name} can't have parameters (defaulted and rest ones included): take no arguments and build what you need inside, e.g. ${CORRECT_FORM[kind]}`;
  }
  return undefined;
}

/** The problem with what a factory returned, or undefined when it is an app of the right kind. */
export function factoryResultProblem(kind: WebKind, name: string, value: unknown): string | undefined {
  const dec = DECORATOR[kind];
  if (isPromise(value)) {
    return `${dec} function ${name} returned a Promise: the factory must be synchronous and return the app itself, e.g. ${CORRECT_FORM[kind]}`;
  }
  if (kind === "asgi" && !isFetchApp(value)) {
    return `${dec} function ${name} returned ${describe(value)}, expected a fetch-style app: an object with fetch(request) (Hono, itty-router, H3) or a function (request) => Response`;
  }
  if (kind === "wsgi" && !isNodeApp(value)) {
    return `${dec} function ${name} returned ${describe(value)}, expected a Node app: a request listener (req, res) (Express, Connect), a Koa app or a Fastify instance`;
  }
  return undefined;
}

/**
 * A real Promise only: Fastify instances and itty-router routers are thenables (itty's Proxy even
 * answers every property), so a `then` check would refuse good apps — and awaiting them hangs.
 */
export function isPromise(value: unknown): value is Promise<unknown> {
  return types.isPromise(value);
}

function isFetchApp(value: unknown): boolean {
  if (typeof value === "function") return true;
  return typeof value === "object" && value !== null && typeof (value as { fetch?: unknown }).fetch === "function";
}

function isNodeApp(value: unknown): boolean {
  if (typeof value === "function") return true;
  if (typeof value !== "object" || value === null) return false;
  const app = value as { callback?: unknown; ready?: unknown; routing?: unknown };
  return typeof app.callback === "function" || (typeof app.ready === "function" && typeof app.routing === "function");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
    const keys = Object.keys(value).slice(0, 5);
    return `${ctor !== undefined && ctor !== "Object" ? `a ${ctor}` : "an object"} with keys [${keys.join(", ")}]`;
  }
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

/**
 * True when a function's source declares any parameter. Handles `function f(…)`, methods
 * `name(…) {`, arrows `(…) =>` and `x =>`, skipping comments and strings inside the list.
 */
export function hasParameters(source: string): boolean {
  let text = source.trimStart();
  if (text.startsWith("async")) text = text.slice(5).trimStart();
  const open = text.indexOf("(");
  const arrow = text.indexOf("=>");
  if (arrow !== -1 && (open === -1 || arrow < open)) {
    // `x => …`: a single bare parameter.
    return text.slice(0, arrow).trim().length > 0;
  }
  if (open === -1) return false;
  let depth = 0;
  let params = "";
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    if (ch === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth === 0) break;
    if (!(depth === 1 && ch === "(")) params += ch;
  }
  return params.trim().length > 0;
}

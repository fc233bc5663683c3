/**
 * The data the decorators attach to user code. Declarations are data: every decorator returns
 * what it was given, tagged with one of these symbols, and the runtime reads the tags. The
 * symbols are registered (`Symbol.for`) so a bundle's inlined copy of the SDK and the runtime
 * agent agree on them without sharing a module instance.
 */
import type { StandardSchemaV1 } from "./standard-schema.ts";

export const WEB_TAG = Symbol.for("wharf.web");
export const FUNCTION_TAG = Symbol.for("wharf.function");
export const LIFECYCLE_TAG = Symbol.for("wharf.lifecycle");
export const HTTP_EXCEPTION_TAG = Symbol.for("wharf.http-exception");
export const APPS_KEY = Symbol.for("wharf.apps");

export type WebKind = "fastapi" | "asgi" | "wsgi" | "webServer";
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
export const HTTP_METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

export interface WebSpec {
  kind: WebKind;
  label?: string | undefined;
  customDomains: string[];
  requiresProxyAuth: boolean;
  /** fastapi only */
  method?: HttpMethod;
  docs?: boolean;
  body?: StandardSchemaV1 | undefined;
  query?: StandardSchemaV1 | undefined;
  deps?: Record<string, (ctx: never) => unknown> | undefined;
  /** webServer only */
  port?: number;
  startupTimeout?: number;
  /** The name the decorator saw (function name or method name), for messages. */
  sourceName: string;
}

export interface FunctionRegistration {
  app: { name: string };
  kind: "function" | "class";
  options: Readonly<Record<string, unknown>>;
  /** The function (kind "function") or the class constructor (kind "class"). */
  target: unknown;
  /** The name the decorator could see (function or class name); export names win over it. */
  sourceName: string;
}

export type Lifecycle = "enter" | "exit";

/** A secret's name (`wharf secret create NAME`, `secrets: [NAME]`): 1..64 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

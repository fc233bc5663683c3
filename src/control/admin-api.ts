/**
 * The admin API of `wharf server` as one `fetch(Request) → Response` function: every call needs
 * `Authorization: Bearer <admin token>` (compared in constant time), every body goes through its
 * zod schema, every error is `{"error":{"code","message"}}` with a status that says whose fault.
 *
 *   GET  /v1/apps                       POST /v1/apps {bundle, name?}        (deploy)
 *   POST /v1/apps/NAME/stop {}          POST /v1/apps/NAME/rollback {version?}
 *   GET  /v1/apps/NAME/history          GET  /v1/apps/NAME/logs[?follow=1][&function=F][&since=MS] (text)
 *   GET  /v1/tokens                     POST /v1/tokens {name?}              POST /v1/tokens/ID/revoke {}
 *   GET  /v1/domains                    POST /v1/domains {name, cert, key} | {name, acme: {directory, email?}}
 *   POST /v1/domains/NAME/remove {}
 *   GET  /v1/secrets                    POST /v1/secrets {name, values, replace?}   POST /v1/secrets/NAME/delete {}
 *   (no answer ever carries a secret's values: only its name, keys and who uses it)
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { z } from "zod";
import { ERROR_CODES, isErrorCode } from "../sdk/error-codes.ts";
import { isWharfError, WharfError } from "../sdk/errors.ts";
import { deployBody, domainAddBody, emptyBody, rollbackBody, secretCreateBody, tokenCreateBody } from "./admin-schemas.ts";
import { formatLogLine, matches, type AppLogs, type LogFilter } from "./app-logs.ts";
import type { DomainInfo } from "./domains.ts";
import type { AppSummary, DeployResult, SecretSummary } from "./platform.ts";
import type { VersionRow } from "./store.ts";
import type { TokenInfo } from "./tokens.ts";

/** What the admin API drives: the platform (apps) and the token store. */
export interface AdminTarget {
  deploy(bundle: Buffer, name?: string): Promise<DeployResult>;
  rollback(app: string, version?: number): Promise<DeployResult>;
  stop(app: string): Promise<void>;
  list(): AppSummary[];
  historyOf(app: string): VersionRow[];
  readonly logs: Pick<AppLogs, "lines" | "follow">;
  /** The function names of an app's latest version (to refuse a `function` filter that names none). */
  functionsOf?(app: string): string[];
  createToken(name: string): { id: string; secret: string; name: string; created: number };
  listTokens(): TokenInfo[];
  /** False when there is no such token. */
  revokeToken(id: string): boolean;
  readonly domains: {
    addCertificate(name: string, certPem: string, keyPem: string): DomainInfo;
    addAcme(name: string, directory: string, email: string): Promise<DomainInfo>;
    list(): DomainInfo[];
    /** False when there is no such domain. */
    remove(name: string): boolean;
  };
  readonly secrets?: {
    put(name: string, values: Record<string, string>, replace: boolean): SecretSummary;
    list(): SecretSummary[];
    /** False when there is no such secret. */
    remove(name: string): Promise<boolean>;
  };
}

/** Bundles are single files; this is far above any real one and bounds what one call can cost. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;


export function createAdminApi(target: AdminTarget, adminToken: string): (request: Request) => Promise<Response> {
  const expected = createHash("sha256").update(adminToken).digest();
  const authorized = (request: Request): boolean => {
    const given = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
    return timingSafeEqual(createHash("sha256").update(given).digest(), expected);
  };

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const method = request.method;
    const path = url.pathname.replace(/\/+$/, "");
    let m: RegExpExecArray | null;
    if (path === "/v1/apps" && method === "GET") return json({ apps: target.list() });
    if (path === "/v1/apps" && method === "POST") {
      const body = await parseBody(request, deployBody);
      return json(await target.deploy(Buffer.from(body.bundle, "utf8"), body.name), 201);
    }
    if ((m = /^\/v1\/apps\/([^/]+)\/stop$/.exec(path)) && method === "POST") {
      await parseBody(request, emptyBody);
      await target.stop(appParam(m));
      return json({ ok: true });
    }
    if ((m = /^\/v1\/apps\/([^/]+)\/rollback$/.exec(path)) && method === "POST") {
      const body = await parseBody(request, rollbackBody);
      return json(await target.rollback(appParam(m), body.version));
    }
    if ((m = /^\/v1\/apps\/([^/]+)\/history$/.exec(path)) && method === "GET") {
      const versions = target.historyOf(appParam(m)).map((v) => ({ number: v.number, created: v.created, status: v.status, note: v.note, bundle: v.bundleHash }));
      return json({ versions });
    }
    if ((m = /^\/v1\/apps\/([^/]+)\/logs$/.exec(path)) && method === "GET") {
      const app = appParam(m);
      target.historyOf(app);
      return logStream(target.logs, app, url.searchParams.get("follow") === "1", logFilter(url.searchParams, app, target.functionsOf?.(app)));
    }
    if (path === "/v1/tokens" && method === "GET") return json({ tokens: target.listTokens() });
    if (path === "/v1/tokens" && method === "POST") {
      const body = await parseBody(request, tokenCreateBody);
      return json(target.createToken(body.name ?? ""), 201);
    }
    if ((m = /^\/v1\/tokens\/([^/]+)\/revoke$/.exec(path)) && method === "POST") {
      await parseBody(request, emptyBody);
      const id = decodeURIComponent(m[1] ?? "");
      if (!target.revokeToken(id)) throw new WharfError("TOKEN_NOT_FOUND", `no token ${id} on this server: see wharf token list`);
      return json({ ok: true });
    }
    if (path === "/v1/domains" && method === "GET") return json({ domains: target.domains.list() });
    if (path === "/v1/domains" && method === "POST") {
      const body = await parseBody(request, domainAddBody);
      if ("acme" in body) return json(await target.domains.addAcme(body.name, body.acme.directory, body.acme.email ?? ""), 201);
      return json(target.domains.addCertificate(body.name, body.cert, body.key), 201);
    }
    if ((m = /^\/v1\/domains\/([^/]+)\/remove$/.exec(path)) && method === "POST") {
      await parseBody(request, emptyBody);
      const name = decodeURIComponent(m[1] ?? "");
      if (!target.domains.remove(name)) throw new WharfError("DOMAIN_NOT_FOUND", `no domain ${name} on this server: see wharf domain list`);
      return json({ ok: true });
    }
    if (path.startsWith("/v1/secrets") && target.secrets !== undefined) {
      const secrets = target.secrets;
      if (path === "/v1/secrets" && method === "GET") return json({ secrets: secrets.list() });
      if (path === "/v1/secrets" && method === "POST") {
        const body = await parseBody(request, secretCreateBody);
        return json(secrets.put(body.name, body.values, body.replace ?? false), 201);
      }
      if ((m = /^\/v1\/secrets\/([^/]+)\/delete$/.exec(path)) && method === "POST") {
        await parseBody(request, emptyBody);
        const name = decodeURIComponent(m[1] ?? "");
        if (!(await secrets.remove(name))) throw new WharfError("SECRET_NOT_FOUND", `no secret ${name} on this server: see wharf secret list`);
        return json({ ok: true });
      }
    }
    throw new WharfError("NOT_FOUND", `no admin route ${method} ${url.pathname}`);
  };

  return async (request) => {
    try {
      if (!authorized(request)) throw new WharfError("UNAUTHORIZED", "missing or wrong admin token: the CLI reads it from the server's data dir (admin.json); pass --data DIR");
      return await route(request);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

function appParam(m: RegExpExecArray): string {
  return decodeURIComponent(m[1] ?? "");
}

function json(value: unknown, status = 200): Response {
  return Response.json(value, { status, headers: { "cache-control": "no-store" } });
}

function errorResponse(err: unknown): Response {
  const user = isWharfError(err) && err.kind === "user";
  const code = isWharfError(err) ? err.code : "INTERNAL";
  const message = err instanceof Error ? err.message : String(err);
  const status = user ? (isErrorCode(code) ? ERROR_CODES[code].status : 400) : 500;
  return json({ error: { code, message: user ? message : `the server failed: ${message}` } }, status);
}

/** Reads at most MAX_BODY_BYTES and parses the JSON with `schema` (an empty body is `{}`). */
async function parseBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (let r = await reader?.read(); r !== undefined && !r.done; r = await reader?.read()) {
    size += r.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader?.cancel();
      throw new WharfError("BODY_TOO_LARGE", `the request body is over ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(r.value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new WharfError("BODY_INVALID", "the request body is not JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`);
    throw new WharfError("BODY_INVALID", `invalid request body: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** The app's buffered log lines, then (with `follow`) every new one until the client goes away. */
/** `function` and `since` (ms since epoch) of a logs call, checked. */
function logFilter(params: URLSearchParams, app: string, functions: string[] | undefined): LogFilter {
  const fn = params.get("function") ?? undefined;
  if (fn !== undefined && functions !== undefined && !functions.includes(fn)) {
    throw new WharfError("FUNCTION_NOT_FOUND", `app ${app} has no function ${fn}: its functions are ${functions.join(", ") || "none"}`);
  }
  const given = params.get("since");
  const since = given === null ? undefined : Number(given);
  if (since !== undefined && !(Number.isInteger(since) && since >= 0)) throw new WharfError("BAD_REQUEST", `since=${given} is not a time in ms since the epoch`);
  return { fn, since };
}

function logStream(logs: AdminTarget["logs"], app: string, follow: boolean, filter: LogFilter = {}): Response {
  const encoder = new TextEncoder();
  let unsubscribe = (): void => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const backlog = logs.lines(app, filter);
      if (backlog.length > 0) controller.enqueue(encoder.encode(`${backlog.join("\n")}\n`));
      if (!follow) {
        controller.close();
        return;
      }
      unsubscribe = logs.follow(app, (entry) => {
        if (!matches(entry, filter)) return;
        try {
          controller.enqueue(encoder.encode(`${formatLogLine(entry)}\n`));
        } catch {
          unsubscribe();
        }
      });
    },
    cancel() {
      unsubscribe();
    },
  });
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
}

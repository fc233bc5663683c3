/**
 * Sign-in for the dashboard of `wharf server`: the admin token, posted once from a same-origin
 * form, buys a session cookie (random, HttpOnly, SameSite=Strict, 12 h). Every page but the form
 * and the static assets needs that cookie, or `Authorization: Bearer <admin token>` (scripts,
 * Prometheus). State-changing requests (sign-in, sign-out) must come from the dashboard's own
 * origin, so another site cannot sign a browser in or out (CSRF).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export const SESSION_COOKIE = "wharf_session";
const SESSION_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;
const MAX_FORM_BYTES = 4096;

const sha256 = (text: string): Buffer => createHash("sha256").update(text).digest();

export class Access {
  private readonly expected: Buffer;
  /** sha256(session id) → expiry; only hashes are kept, like tokens. */
  private readonly sessions = new Map<string, number>();

  constructor(adminToken: string, private readonly clock: () => number = Date.now) {
    this.expected = sha256(adminToken);
  }

  /** Answers the request when it is the sign-in flow or is not allowed; false lets it through. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const method = req.method ?? "GET";
    if (path === "/login" && method === "POST") {
      void this.signIn(req, res);
      return true;
    }
    if (path === "/logout" && method === "POST") {
      req.resume();
      if (!sameOrigin(req)) return deny(res, 403, "wharf: sign-out must come from the dashboard's own page");
      const id = cookie(req, SESSION_COOKIE);
      if (id !== undefined) this.sessions.delete(sha256(id).toString("hex"));
      res.writeHead(303, { location: "/login", "set-cookie": clearCookie(req), "cache-control": "no-store" });
      res.end();
      return true;
    }
    if (path === "/login") {
      req.resume();
      if (this.signedIn(req)) return redirect(res, "/");
      loginPage(res, 200, "");
      return true;
    }
    if (path.startsWith("/assets/") || this.signedIn(req) || this.bearer(req)) return false;
    req.resume();
    if (path === "/" && (method === "GET" || method === "HEAD")) return redirect(res, "/login");
    return deny(res, 401, "wharf: sign in at /login with the admin token (or send Authorization: Bearer <admin token>)");
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameOrigin(req)) {
      req.resume();
      deny(res, 403, "wharf: sign-in must come from the dashboard's own page");
      return;
    }
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "")) {
      req.resume();
      deny(res, 415, "wharf: sign-in takes a form (application/x-www-form-urlencoded)");
      return;
    }
    const body = await readSmall(req, MAX_FORM_BYTES);
    if (body === undefined) {
      deny(res, 413, `wharf: sign-in form over ${MAX_FORM_BYTES} bytes`);
      return;
    }
    const token = new URLSearchParams(body).get("token") ?? "";
    if (!timingSafeEqual(sha256(token), this.expected)) {
      loginPage(res, 401, "That is not the admin token of this server.");
      return;
    }
    const id = randomBytes(32).toString("base64url");
    this.prune();
    this.sessions.set(sha256(id).toString("hex"), this.clock() + SESSION_MS);
    const secure = "encrypted" in req.socket ? "; Secure" : "";
    res.writeHead(303, {
      location: "/",
      "set-cookie": `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}${secure}`,
      "cache-control": "no-store",
    });
    res.end();
  }

  private signedIn(req: IncomingMessage): boolean {
    const id = cookie(req, SESSION_COOKIE);
    if (id === undefined) return false;
    const key = sha256(id).toString("hex");
    const expires = this.sessions.get(key);
    if (expires === undefined) return false;
    if (expires <= this.clock()) {
      this.sessions.delete(key);
      return false;
    }
    return true;
  }

  private bearer(req: IncomingMessage): boolean {
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    return given !== undefined && timingSafeEqual(sha256(given), this.expected);
  }

  private prune(): void {
    const now = this.clock();
    for (const [key, expires] of this.sessions) if (expires <= now) this.sessions.delete(key);
    // Oldest first (insertion order): a flood of sign-ins cannot grow the map without bound.
    for (const key of this.sessions.keys()) {
      if (this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(key);
    }
  }
}

/** The request's `Origin` names the host it was sent to (a form of the dashboard itself). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin === undefined || host === undefined || origin === "null") return false;
  try {
    const url = new URL(origin);
    const scheme = "encrypted" in req.socket ? "https:" : "http:";
    return url.protocol === scheme && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function clearCookie(req: IncomingMessage): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${"encrypted" in req.socket ? "; Secure" : ""}`;
}

function readSmall(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", () => resolve(undefined));
  });
}

function redirect(res: ServerResponse, location: string): true {
  res.writeHead(303, { location, "cache-control": "no-store" });
  res.end();
  return true;
}

function deny(res: ServerResponse, status: number, message: string): true {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(`${message}\n`);
  return true;
}

function loginPage(res: ServerResponse, status: number, problem: string): void {
  const note = problem === "" ? "" : `<p class="problem" role="alert">${problem}</p>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Wharf</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="login"><main>
<h1>Wharf</h1>
<form method="post" action="/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required placeholder="wa-…">
<button type="submit">Sign in</button>
${note}
<p class="hint">The admin token is in <code>admin.json</code> in the server's data dir.</p>
</form></main></body></html>
`);
}

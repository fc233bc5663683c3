/**
 * The unknown-host 404 for a browser (`Accept: text/html`): the same first line as the plain-text
 * answer (`wharf: no web endpoint at HOST`, docs/reference.md §3), then the endpoints that do exist as links —
 * on `wharf serve` only: on `wharf server` the list is the dashboard's, behind the admin token
 * (anyone can send a request to an unknown host).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export function wantsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(req.headers.accept ?? "");
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function notFoundPage(res: ServerResponse, host: string, endpoints: { name: string; url: string }[] | undefined, dashboard: string): void {
  const list = endpoints === undefined
    ? `<p>The endpoints of this server are listed on its <a href="${escape(dashboard)}">dashboard</a> (admin token needed).</p>`
    : endpoints.length === 0
      ? `<p>No endpoint is being served right now.</p>`
      : `<p>Endpoints served here:</p>\n<ul>\n${endpoints.map((e) => `<li><a href="${escape(e.url)}">${escape(e.url)}</a> <span>${escape(e.name)}</span></li>`).join("\n")}\n</ul>\n<p>All of them live on the <a href="${escape(dashboard)}">dashboard</a>.</p>`;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>404 · no web endpoint</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:720px;margin:8vh auto;padding:0 16px;color:#1d232b}h1{font-size:18px;font-family:ui-monospace,monospace}span{color:#6b7684}</style>
</head><body>
<h1>wharf: no web endpoint at ${escape(host)}</h1>
${list}
</body></html>
`;
  res.writeHead(404, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" });
  res.end(body);
}

/** The gateway's `unknownHost` hook: the HTML page for browsers, the plain-text line for the rest. */
export function unknownHostPage(endpoints: () => { name: string; url: string }[] | undefined, dashboard: () => string) {
  return (req: IncomingMessage, res: ServerResponse, host: string): boolean => {
    if (!wantsHtml(req)) return false;
    notFoundPage(res, host, endpoints(), dashboard());
    return true;
  };
}

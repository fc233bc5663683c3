/**
 * Custom domains: an endpoint also answers on hostnames of your own, next to its label URL.
 * Point the domain's DNS at the Wharf host (or, locally, send the Host header yourself):
 *
 *   npx wharf serve examples/custom-domains.ts
 *   curl -H 'Host: api.mycompany.com' http://127.0.0.1:8000     # {"version":"2.0"}
 *   curl -H 'Host: acme.example.org' http://127.0.0.1:8000      # {"tenant":"acme",...}
 *   curl -H 'Host: www.example.org' http://127.0.0.1:8000       # exact beats wildcard
 *   curl http://custom-domains-apihandler-dev.localhost:8000     # the label URL keeps working
 */
import * as wharf from "wharf";

const app = new wharf.App("custom-domains");

// Exact hostnames: one endpoint, two domains.
export const apiHandler = app.function()(
  wharf.fastapiEndpoint({
    method: "GET",
    customDomains: ["api.mycompany.com", "api-v2.mycompany.com"],
  })(function apiHandler() {
    return { version: "2.0" };
  }),
);

/** The first label of the host the client asked for (the gateway forwards it). */
function tenantOf(headers: Headers): string {
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "";
  return host.split(":")[0]?.split(".")[0] ?? "";
}

// A one-level wildcard: every `<tenant>.example.org` lands here (but not `a.b.example.org`).
export const tenant = app.function()(
  wharf.fastapiEndpoint({ method: "GET", customDomains: ["*.example.org"] })(function tenant(
    _query: unknown,
    ctx: wharf.RequestContext,
  ) {
    return { tenant: tenantOf(ctx.headers), version: "2.0" };
  }),
);

// An exact hostname wins over a wildcard that also matches it.
export const www = app.function()(
  wharf.fastapiEndpoint({ method: "GET", customDomains: ["www.example.org"] })(function www() {
    return { site: "www.example.org" };
  }),
);

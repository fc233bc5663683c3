/**
 * The admin API's shapes, one zod schema per body, shared by the server (which parses requests)
 * and the CLI (which parses answers and the data dir's admin.json).
 */
import { z } from "zod";
import { APP_NAME } from "../sdk/app.ts";

/** DIR/admin.json: where the admin API listens and the token it requires. */
export const adminFile = z.object({
  address: z.url(),
  token: z.string().min(32),
});
export type AdminFile = z.infer<typeof adminFile>;

const appName = z.string().regex(APP_NAME, "use 1..40 characters of [a-z0-9-]");

// ── request bodies ─────────────────────────────────────────────────────────────────────────
export const deployBody = z.object({ bundle: z.string().min(1, "the bundle is empty"), name: appName.optional() }).strict();
export const rollbackBody = z.object({ version: z.number().int().positive().optional() }).strict();
export const tokenCreateBody = z.object({ name: z.string().max(100).optional() }).strict();
export const emptyBody = z.object({}).strict();
/** `wharf domain add`: a PEM pair, or an ACME order. */
export const domainAddBody = z.union([
  z.object({ name: z.string().min(1).max(253), cert: z.string().min(1, "the certificate is empty"), key: z.string().min(1, "the key is empty") }).strict(),
  z.object({ name: z.string().min(1).max(253), acme: z.object({ directory: z.url(), email: z.string().max(254).optional() }).strict() }).strict(),
]);

/** `wharf secret create`: the values travel to the server once, and never come back. */
export const secretCreateBody = z.object({
  name: z.string().min(1).max(64),
  values: z.record(z.string(), z.string()),
  replace: z.boolean().optional(),
}).strict();

// ── answers ────────────────────────────────────────────────────────────────────────────────
export const errorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const deployAnswer = z.object({
  app: z.string(),
  version: z.number(),
  /** `customDomains`: the endpoint's custom domains (served beside its URL). */
  endpoints: z.array(z.object({ name: z.string(), url: z.string(), customDomains: z.array(z.string()).default([]) })),
});

export const appsAnswer = z.object({
  apps: z.array(
    z.object({
      name: z.string(),
      version: z.number().nullable(),
      endpoints: z.array(z.string()),
      /** Every custom domain of the running version's endpoints. */
      customDomains: z.array(z.string()).default([]),
      state: z.enum(["active", "stopped", "failed"]),
      error: z.string().nullable(),
    }),
  ),
});

export const historyAnswer = z.object({
  versions: z.array(z.object({ number: z.number(), created: z.number(), status: z.enum(["active", "stopped", "superseded"]), note: z.string(), bundle: z.string() })),
});

export const tokenCreatedAnswer = z.object({ id: z.string(), secret: z.string(), name: z.string(), created: z.number() });

export const tokensAnswer = z.object({
  tokens: z.array(z.object({ id: z.string(), name: z.string(), created: z.number(), revoked: z.number().nullable() })),
});

export const domainAnswer = z.object({
  name: z.string(),
  source: z.enum(["cert", "acme"]),
  expires: z.number().nullable(),
  status: z.enum(["active", "expiring", "expired", "pending", "failed"]),
  issuer: z.string().nullable(),
  names: z.array(z.string()),
  error: z.string().nullable(),
});

export const domainsAnswer = z.object({ domains: z.array(domainAnswer) });

export const secretAnswer = z.object({ name: z.string(), keys: z.array(z.string()), created: z.number(), updated: z.number(), usedBy: z.array(z.string()) });
export const secretsAnswer = z.object({ secrets: z.array(secretAnswer) });

export const okAnswer = z.object({ ok: z.literal(true) });

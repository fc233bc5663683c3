/**
 * The manifest as the platform accepts it: the checker's output is parsed here, at the edge,
 * so everything past this point can trust its shape.
 */
import { z } from "zod";
import type { Manifest } from "../runtime/manifest.ts";

const endpoint = z.object({
  name: z.string().min(1),
  method: z.string().nullable(),
  kind: z.enum(["fastapi", "asgi", "wsgi", "webServer"]),
  label: z.string().nullable(),
  customDomains: z.array(z.string()),
  requiresProxyAuth: z.boolean(),
  httpMethod: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).nullable(),
  docs: z.boolean(),
  port: z.number().int().nullable(),
  startupTimeout: z.number().nullable(),
});

const options = z.object({
  minContainers: z.number(),
  maxContainers: z.number(),
  bufferContainers: z.number(),
  scaledownWindow: z.number(),
  timeout: z.number(),
  maxInputs: z.number(),
  targetInputs: z.number(),
  env: z.record(z.string(), z.string()),
  secrets: z.array(z.string()).default([]),
  memory: z.number().nullable(),
});

const manifest = z.object({
  app: z.string().min(1),
  functions: z.array(z.object({ name: z.string().min(1), kind: z.enum(["function", "class"]), options, endpoints: z.array(endpoint) })),
});

export function parseManifest(value: unknown): Manifest {
  return manifest.parse(value);
}

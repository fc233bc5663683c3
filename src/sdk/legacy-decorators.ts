import { WharfError } from "./errors.ts";

/**
 * Class endpoints use standard (TC39) decorators, whose second argument is a context object. With
 * `experimentalDecorators: true` in the user's tsconfig, TypeScript and esbuild emit legacy calls
 * instead, `(prototype, "method", descriptor)`, which would otherwise fail far from the cause; this
 * names the setting. Called by every method decorator before it looks at its arguments.
 */
export function refuseLegacyDecorator(decorator: string, context: unknown): void {
  if (typeof context !== "string" && typeof context !== "symbol") return;
  throw new WharfError(
    "LEGACY_DECORATORS",
    `@wharf.${decorator}() on method ${String(context)} was called as a legacy decorator because your tsconfig.json sets "experimentalDecorators": true; Wharf's class endpoints use standard decorators: remove "experimentalDecorators" from tsconfig.json (or set it to false)`,
  );
}

/**
 * Reads an imported app bundle: finds its functions and classes, resolves their names
 * (options.name, then the exported binding, then the function's own name), validates options and
 * factory rules, and returns the manifest plus the live objects the runtime serves.
 */
import { WharfError } from "../sdk/errors.ts";
import { APPS_KEY, FUNCTION_TAG, HTTP_METHODS, LIFECYCLE_TAG, SECRET_NAME, WEB_TAG, type FunctionRegistration, type Lifecycle, type WebSpec } from "../sdk/spec.ts";
import { factoryProblem } from "./factory-check.ts";
import type { EndpointManifest, FunctionManifest, Manifest, ResolvedOptions } from "./manifest.ts";

export interface LoadedEndpoint {
  manifest: EndpointManifest;
  spec: WebSpec;
  /** The decorated function (or the method on the class prototype). */
  fn: (...args: unknown[]) => unknown;
}

export interface LoadedFunction {
  manifest: FunctionManifest;
  registration: FunctionRegistration;
  endpoints: LoadedEndpoint[];
  /** Methods marked `@enter()` / `@exit()`, for classes. */
  hooks: Record<Lifecycle, string[]>;
}

export interface LoadedApp {
  manifest: Manifest;
  functions: LoadedFunction[];
}

type Tagged = Record<symbol, unknown>;

export function loadApp(mod: Record<string, unknown>): LoadedApp {
  const registrations = allRegistrations(mod);
  if (registrations.length === 0) {
    throw new WharfError(
      "NO_FUNCTIONS",
      "The file registers no functions: create `const app = new wharf.App(\"name\")` and export `app.function()(wharf.fastapiEndpoint()(function hello() { … }))`.",
    );
  }
  const appNames = [...new Set(registrations.map((r) => r.app.name))];
  if (appNames.length > 1) {
    throw new WharfError("MANY_APPS", `The file defines several apps (${appNames.join(", ")}): serve or deploy one app per file.`);
  }
  const exportNames = new Map<unknown, string>();
  for (const [key, value] of Object.entries(mod)) if (key !== "default" && !exportNames.has(value)) exportNames.set(value, key);
  const functions: LoadedFunction[] = [];
  const seen = new Map<string, FunctionRegistration>();
  for (const registration of registrations) {
    const name = stringOption(registration.options, "name") ?? exportNames.get(registration.target) ?? nonEmpty(registration.sourceName);
    if (name === undefined) {
      throw new WharfError(
        "FUNCTION_UNNAMED",
        `A ${registration.kind} of app ${registration.app.name} has no name: export it (\`export const hello = app.function()(…)\`), give it a name (\`function hello() {}\`) or pass app.function({ name: "hello" }).`,
      );
    }
    if (seen.has(name)) {
      throw new WharfError("FUNCTION_DUPLICATE", `Two functions of app ${registration.app.name} are named ${name}: give one of them another name with app.function({ name }).`);
    }
    seen.set(name, registration);
    functions.push(loadFunction(name, registration));
  }
  return { manifest: { app: appNames[0] ?? "", functions: functions.map((f) => f.manifest) }, functions };
}

/**
 * The registrations of this module only. A process may hold several bundles (a standby runtime
 * imports the live version ahead of time, then is started with a newer one), and each bundle
 * inlines its own copy of the SDK: so the module's apps are those made by the same `App` class as
 * the module's exported functions and apps.
 */
function allRegistrations(mod: Record<string, unknown>): FunctionRegistration[] {
  const apps = ((globalThis as Tagged)[APPS_KEY] ?? []) as { registrations: FunctionRegistration[] }[];
  const exported = Object.values(mod)
    .map((value) => (value as Tagged | null | undefined)?.[FUNCTION_TAG] as FunctionRegistration | undefined)
    .filter((reg): reg is FunctionRegistration => reg !== undefined);
  const classes = new Set<unknown>(exported.map((reg) => reg.app.constructor));
  for (const value of Object.values(mod)) if (apps.includes(value as never)) classes.add((value as object).constructor);
  const mine = classes.size === 0 ? apps : apps.filter((app) => classes.has(app.constructor));
  const registrations = mine.flatMap((app) => app.registrations);
  for (const reg of exported) if (!registrations.includes(reg)) registrations.push(reg);
  return registrations;
}

function loadFunction(name: string, registration: FunctionRegistration): LoadedFunction {
  const options = resolveOptions(name, registration.options);
  const hooks: Record<Lifecycle, string[]> = { enter: [], exit: [] };
  const endpoints: LoadedEndpoint[] = [];
  if (registration.kind === "function") {
    const fn = registration.target as (...args: unknown[]) => unknown;
    const spec = (fn as unknown as Tagged)[WEB_TAG] as WebSpec | undefined;
    if (spec === undefined) {
      throw new WharfError(
        "NO_WEB_DECORATOR",
        `Function ${name} has no web decorator: wrap it, e.g. app.function()(wharf.fastapiEndpoint()(function ${name}() { … })).`,
      );
    }
    endpoints.push(loadEndpoint(name, null, spec, fn));
  } else {
    const proto = (registration.target as { prototype: object }).prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor") continue;
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof value !== "function") continue;
      const spec = (value as unknown as Tagged)[WEB_TAG] as WebSpec | undefined;
      if (spec !== undefined) endpoints.push(loadEndpoint(`${name}.${key}`, key, spec, value as (...args: unknown[]) => unknown));
      const hook = (value as unknown as Tagged)[LIFECYCLE_TAG] as Lifecycle | undefined;
      if (hook !== undefined) hooks[hook].push(key);
    }
    if (endpoints.length === 0) {
      throw new WharfError("NO_WEB_METHODS", `Class ${name} has no web methods: decorate at least one method, e.g. @wharf.fastapiEndpoint() health() { … }.`);
    }
  }
  return { manifest: { name, kind: registration.kind, options, endpoints: endpoints.map((e) => e.manifest) }, registration, endpoints, hooks };
}

function loadEndpoint(name: string, method: string | null, spec: WebSpec, fn: (...args: unknown[]) => unknown): LoadedEndpoint {
  const problem = factoryProblem(spec.kind, name, fn);
  if (problem !== undefined) throw new WharfError("FACTORY_INVALID", problem);
  if (spec.kind === "fastapi" && (spec.method === undefined || !HTTP_METHODS.includes(spec.method))) {
    throw new WharfError("METHOD_INVALID", `fastapiEndpoint ${name} has method ${JSON.stringify(spec.method)}: use one of ${HTTP_METHODS.join(", ")}.`);
  }
  if (spec.kind === "fastapi" && spec.body !== undefined && ["GET", "DELETE", "HEAD"].includes(spec.method ?? "GET")) {
    throw new WharfError("BODY_ON_GET", `fastapiEndpoint ${name} has a body schema but method ${spec.method ?? "GET"}, which takes its input from the query: use query: for ${spec.method ?? "GET"}, or method: "POST" for a JSON body.`);
  }
  if (spec.kind === "webServer" && (!Number.isInteger(spec.port) || (spec.port ?? 0) < 1 || (spec.port ?? 0) > 65535)) {
    throw new WharfError("PORT_INVALID", `webServer ${name} has port ${JSON.stringify(spec.port)}: use an integer 1..65535, e.g. webServer(8000).`);
  }
  const manifest: EndpointManifest = {
    name,
    method,
    kind: spec.kind,
    label: spec.label ?? null,
    customDomains: spec.customDomains,
    requiresProxyAuth: spec.requiresProxyAuth,
    httpMethod: spec.kind === "fastapi" ? (spec.method ?? "GET") : null,
    docs: spec.docs ?? false,
    port: spec.port ?? null,
    startupTimeout: spec.startupTimeout ?? null,
  };
  return { manifest, spec, fn };
}

function resolveOptions(name: string, raw: Readonly<Record<string, unknown>>): ResolvedOptions {
  const int = (key: string, fallback: number, min: number, max: number, value: unknown = raw[key]): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      throw new WharfError("OPTION_INVALID", `Function ${name}: option ${key} is ${JSON.stringify(value)}; it must be a number from ${min} to ${max}.`);
    }
    return value;
  };
  const concurrency = (raw["concurrency"] ?? {}) as Record<string, unknown>;
  const maxInputs = int("concurrency.maxInputs", 1, 1, 10_000, concurrency["maxInputs"]);
  const env = (raw["env"] ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== "string") throw new WharfError("OPTION_INVALID", `Function ${name}: env.${key} must be a string.`);
  }
  const secrets = secretNames(name, raw["secrets"]);
  const options: ResolvedOptions = {
    minContainers: int("minContainers", 0, 0, 1000),
    maxContainers: int("maxContainers", 10, 1, 1000),
    bufferContainers: int("bufferContainers", 0, 0, 1000),
    scaledownWindow: int("scaledownWindow", 60, 2, 1200),
    timeout: int("timeout", 150, 0.001, 86_400),
    maxInputs,
    targetInputs: int("concurrency.targetInputs", maxInputs, 1, maxInputs, concurrency["targetInputs"]),
    env: env as Record<string, string>,
    secrets,
    memory: raw["memory"] === undefined ? null : int("memory", 0, 16, 1_048_576),
  };
  if (options.minContainers > options.maxContainers) {
    throw new WharfError("OPTION_INVALID", `Function ${name}: minContainers (${options.minContainers}) exceeds maxContainers (${options.maxContainers}).`);
  }
  return options;
}

/** `secrets`: a list of distinct secret names. */
function secretNames(fn: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new WharfError("OPTION_INVALID", `Function ${fn}: option secrets must be a list of secret names, like secrets: ["stripe"].`);
  const names: string[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== "string" || !SECRET_NAME.test(item)) {
      throw new WharfError("OPTION_INVALID", `Function ${fn}: secret name ${JSON.stringify(item)} is invalid: use 1..64 of letters, digits, '.', '_' and '-', starting with a letter or digit.`);
    }
    if (names.includes(item)) throw new WharfError("OPTION_INVALID", `Function ${fn}: secret ${item} is listed twice in secrets.`);
    names.push(item);
  }
  return names;
}

function stringOption(options: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = options[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function nonEmpty(value: string): string | undefined {
  return value.length > 0 ? value : undefined;
}

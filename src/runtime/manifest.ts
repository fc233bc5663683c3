/**
 * The manifest: what an app declares (functions, their kinds, options and web settings) as
 * plain JSON. The checker process prints it; the platform parses it at its edge.
 */
import type { HttpMethod, WebKind } from "../sdk/spec.ts";

export interface ResolvedOptions {
  minContainers: number;
  maxContainers: number;
  bufferContainers: number;
  scaledownWindow: number;
  timeout: number;
  maxInputs: number;
  targetInputs: number;
  env: Record<string, string>;
  /** Names of the server secrets the function's containers get (absent in manifests made before secrets). */
  secrets?: string[];
  memory: number | null;
}

export interface EndpointManifest {
  /** `hello` for a function, `MyAPI.health` for a class method. */
  name: string;
  /** The method's name inside a class; null for a plain function. */
  method: string | null;
  kind: WebKind;
  /** The label the user gave, or null for the default. */
  label: string | null;
  customDomains: string[];
  requiresProxyAuth: boolean;
  /** fastapiEndpoint only. */
  httpMethod: HttpMethod | null;
  docs: boolean;
  /** webServer only. */
  port: number | null;
  startupTimeout: number | null;
}

export interface FunctionManifest {
  name: string;
  kind: "function" | "class";
  options: ResolvedOptions;
  endpoints: EndpointManifest[];
}

export interface Manifest {
  app: string;
  functions: FunctionManifest[];
}

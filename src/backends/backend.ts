/**
 * What the platform needs from wherever containers run: start one for a function of a bundle,
 * and stop it. The local backend runs OS processes; a Kubernetes backend will run pods.
 */
import type { Socket } from "node:net";
import type { FunctionManifest } from "../runtime/manifest.ts";
import type { AdoptMessage, ServedRecord } from "../runtime/protocol.ts";

/** What a container needs with a handed-over connection: the bytes already read, and its routing. */
export type Handoff = Omit<AdoptMessage, "type" | "id" | "head"> & { head: Buffer };

export interface ContainerSpec {
  /** Unique id, used in socket names and logs. */
  id: string;
  /** The function's name in the manifest. */
  functionName: string;
  /** The app and version it belongs to, and the function's manifest: what a backend that renders objects per function needs (Kubernetes). */
  app?: { name: string; version: number; function: FunctionManifest };
  bundle: string;
  /** Environment on top of the backend's base one: the function's `env`, and under a server its secrets. */
  env: Record<string, string>;
  cwd: string;
  /** Memory limit in MiB, enforced where the backend can; null for none. */
  memoryMiB: number | null;
  /** Each line the container writes, with its stream. */
  onLog(line: string, stream: "stdout" | "stderr"): void;
}

/** Where a container serves the gateway: a Unix socket (local) or a host and port (a pod's IP). */
export type ContainerAddress = { socketPath: string } | { host: string; port: number };

export interface ContainerHandle {
  readonly id: string;
  readonly address: ContainerAddress;
  /** Headers the gateway adds to every request it sends the container (a pod's key: pods are reachable by others on the cluster's network). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly pid: number;
  /** Settles when the container's process has exited, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Why the container died, when the backend knows better than the exit status (e.g. over its memory limit). */
  exitReason?(): string | undefined;
  /**
   * True when, although it left the pool, the container still finishes what it holds (a pod being
   * deleted drains its in-flight requests): its connections are closed gracefully, not destroyed.
   */
  finishesInFlight?(): boolean;
  /**
   * Hands a client's connection to the container (docs/handoff.md); resolves once the container
   * reports it closed, or exits. Backends that cannot pass sockets leave it out.
   */
  adopt?(socket: Socket, handoff: Handoff, served?: (record: ServedRecord) => void): Promise<void>;
  /** Asks the container to close its handed-over connections as they fall idle (before `stop`). */
  drainAdopted?(): void;
  /** Lets in-flight work finish for up to `graceMs`, runs `exit` hooks, then kills what is left. */
  stop(graceMs: number): Promise<void>;
}

export interface Backend {
  /** Whether each container has its own network (so several can bind one webServer port). */
  readonly networkIsolation: boolean;
  /**
   * Whether a container's environment is `ContainerSpec.env` as given at its start (what a
   * function's secrets need). Backends that render it from the manifest instead leave it out,
   * and the platform refuses functions with secrets on them.
   */
  readonly deliversSpecEnv?: boolean;
  /** The environment containers (and the checker) start from, before `ContainerSpec.env`; undefined: the platform's own. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Hint: containers of `bundle` are likely next; a backend may load it ahead of time. */
  prepare?(bundle: string | undefined): void;
  /** Resolves once the container serves; rejects with the container's one-line reason. */
  start(spec: ContainerSpec): Promise<ContainerHandle>;
  /**
   * How to run a program that loads `bundle` (the checker) the way containers run, in their
   * sandbox: the command, and `release` once it has exited. Undefined: run it as is.
   */
  checkerCommand?(bundle: string, argv: (bundle: string) => string[]): SandboxedCommand | undefined;
  /** Warmed idle runtimes kept ready, where the backend keeps any. */
  readonly standbyCount?: number;
  /**
   * Every container of the version has stopped and none will start again (it was replaced or
   * stopped): remove what the backend keeps for it (a cluster's Deployments and Services).
   */
  releaseVersion?(app: string, version: number): Promise<void>;
  /** Stops every container this backend started. */
  close(): Promise<void>;
}

export interface SandboxedCommand {
  file: string;
  args: string[];
  release(): void;
}

/**
 * The autoscaling policy: a pure function from a function's load and containers to how many
 * containers to start and which idle ones to stop. The loop around it (scaler.ts) is thin.
 *
 * - Work is in-flight plus queued inputs; each container should carry `targetInputs` of it.
 * - `bufferContainers` extra containers are kept while there is work (Modal: "additional idle
 *   containers to maintain under active load"); `minContainers` always.
 * - Never more than `maxContainers`, counting containers still starting.
 * - Scale-up is immediate; a container stops only after `scaledownWindow` of idleness, the
 *   longest-idle first, and never below what the work needs.
 */
export interface PolicyOptions {
  minContainers: number;
  maxContainers: number;
  bufferContainers: number;
  targetInputs: number;
  scaledownWindowMs: number;
}

export interface ContainerLoad {
  id: string;
  inFlight: number;
  /** When it last became idle (ms), or null while busy or starting. */
  idleSince: number | null;
  starting: boolean;
}

export interface PolicyInput {
  now: number;
  inFlight: number;
  queued: number;
  containers: readonly ContainerLoad[];
  options: PolicyOptions;
}

export interface Decision {
  /** How many containers to start now. */
  start: number;
  /** Ids of idle containers to stop now. */
  stop: string[];
  /** The count the policy aims for, for logs and status. */
  desired: number;
}

export function desiredContainers(work: number, options: PolicyOptions): number {
  const needed = Math.ceil(work / Math.max(1, options.targetInputs));
  const buffered = needed > 0 ? needed + options.bufferContainers : 0;
  return Math.min(options.maxContainers, Math.max(options.minContainers, buffered));
}

export function decide(input: PolicyInput): Decision {
  const { options, containers } = input;
  const desired = desiredContainers(input.inFlight + input.queued, options);
  const current = containers.length;
  if (desired > current) return { start: desired - current, stop: [], desired };
  if (desired === current) return { start: 0, stop: [], desired };
  const expired = containers
    .filter((c) => !c.starting && c.inFlight === 0 && c.idleSince !== null && input.now - c.idleSince >= options.scaledownWindowMs)
    .sort((a, b) => (a.idleSince ?? 0) - (b.idleSince ?? 0));
  const stop = expired.slice(0, current - desired).map((c) => c.id);
  return { start: 0, stop, desired };
}

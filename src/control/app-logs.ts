/**
 * What each app's containers wrote, with the time and function of every line: the last lines per
 * app in a ring buffer (for `wharf app logs`, with subscribers for `-f`), and, with a directory,
 * on disk per app as JSON lines (`DIR/NAME.log`, rotated once past its cap), so that a restarted
 * server still shows what was written before.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RotatingFile } from "../observe/rotating-file.ts";

export const LOG_LINES_KEPT = 1000;
/** Per app on disk: the current file and one rotated one, each up to this size. */
export const LOG_FILE_BYTES = 5 * 1024 * 1024;

export interface AppLogLine {
  /** ms since epoch */
  time: number;
  fn: string;
  line: string;
}

export interface LogFilter {
  fn?: string | undefined;
  /** Only lines written at or after this time (ms since epoch). */
  since?: number | undefined;
}

export type LogListener = (entry: AppLogLine) => void;

/** `2026-12-02T18:00:00.123Z [hello] text`: the function's name once, whatever the line held. */
export function formatLogLine(entry: AppLogLine): string {
  return `${new Date(entry.time).toISOString()} [${entry.fn}] ${entry.line}`;
}

export function matches(entry: AppLogLine, filter: LogFilter): boolean {
  return (filter.fn === undefined || entry.fn === filter.fn) && (filter.since === undefined || entry.time >= filter.since);
}

class Ring {
  private readonly entries: AppLogLine[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(entry: AppLogLine): void {
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else {
      this.entries[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  all(): AppLogLine[] {
    return [...this.entries.slice(this.start), ...this.entries.slice(0, this.start)];
  }
}

export class AppLogs {
  private readonly rings = new Map<string, Ring>();
  private readonly files = new Map<string, RotatingFile>();
  private readonly listeners = new Map<string, Set<LogListener>>();

  constructor(private readonly capacity = LOG_LINES_KEPT, private readonly dir?: string, private readonly fileBytes = LOG_FILE_BYTES) {}

  append(app: string, fn: string, line: string, time = Date.now()): void {
    // The runtime marks a handler's stack with `[endpoint] `; for a plain function that is the
    // function's own name, which the line already carries once.
    const text = line.startsWith(`[${fn}] `) ? line.slice(fn.length + 3) : line;
    const entry: AppLogLine = { time, fn, line: text };
    this.ring(app).push(entry);
    this.file(app)?.write(`${JSON.stringify({ t: time, f: fn, l: text })}\n`);
    for (const listener of this.listeners.get(app) ?? []) listener(entry);
  }

  entries(app: string, filter: LogFilter = {}): AppLogLine[] {
    return this.ring(app).all().filter((e) => matches(e, filter));
  }

  lines(app: string, filter: LogFilter = {}): string[] {
    return this.entries(app, filter).map(formatLogLine);
  }

  /** Calls `listener` with every new line of `app`; returns the unsubscribe function. */
  follow(app: string, listener: LogListener): () => void {
    let set = this.listeners.get(app);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(app, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  close(): Promise<void> {
    return Promise.all([...this.files.values()].map((f) => f.close())).then(() => undefined);
  }

  private ring(app: string): Ring {
    let ring = this.rings.get(app);
    if (ring === undefined) {
      ring = new Ring(this.capacity);
      for (const entry of this.load(app)) ring.push(entry);
      this.rings.set(app, ring);
    }
    return ring;
  }

  private path(app: string): string | undefined {
    return this.dir === undefined ? undefined : join(this.dir, `${app}.log`);
  }

  private file(app: string): RotatingFile | undefined {
    const path = this.path(app);
    if (path === undefined) return undefined;
    let file = this.files.get(app);
    if (file === undefined) {
      file = new RotatingFile(path, { maxBytes: this.fileBytes, keep: 1 });
      this.files.set(app, file);
    }
    return file;
  }

  /** The last `capacity` lines on disk (rotated file first), skipping any that is not whole. */
  private load(app: string): AppLogLine[] {
    const path = this.path(app);
    if (path === undefined) return [];
    const out: AppLogLine[] = [];
    for (const name of [`${path}.1`, path]) {
      if (!existsSync(name)) continue;
      for (const text of readFileSync(name, "utf8").split("\n")) {
        try {
          const { t, f, l } = JSON.parse(text) as { t: unknown; f: unknown; l: unknown };
          if (typeof t === "number" && typeof f === "string" && typeof l === "string") out.push({ time: t, fn: f, line: l });
        } catch {
          // a line cut short by a crash
        }
      }
    }
    return out.slice(-this.capacity);
  }
}

/**
 * The last lines each app's containers wrote, prefixed by function (`[hello] …`), kept in a ring
 * buffer per app, with subscribers for `wharf app logs -f`. In memory only: a restart starts empty.
 */
export const LOG_LINES_KEPT = 1000;

export type LogListener = (line: string) => void;

class Ring {
  private readonly lines: string[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(line: string): void {
    if (this.lines.length < this.capacity) this.lines.push(line);
    else {
      this.lines[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  all(): string[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }
}

export class AppLogs {
  private readonly rings = new Map<string, Ring>();
  private readonly listeners = new Map<string, Set<LogListener>>();

  constructor(private readonly capacity = LOG_LINES_KEPT) {}

  append(app: string, fn: string, line: string): void {
    const text = `[${fn}] ${line}`;
    let ring = this.rings.get(app);
    if (ring === undefined) {
      ring = new Ring(this.capacity);
      this.rings.set(app, ring);
    }
    ring.push(text);
    for (const listener of this.listeners.get(app) ?? []) listener(text);
  }

  lines(app: string): string[] {
    return this.rings.get(app)?.all() ?? [];
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
}

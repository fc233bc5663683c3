/**
 * An append-only file with a size cap: past `maxBytes` it is renamed to `NAME.1` (older ones
 * shift to `.2` … `.keep`, the oldest dropped) and a new one is started, so a busy server's logs
 * take at most `(keep + 1) × maxBytes` of its data dir.
 */
import { createWriteStream, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";

export interface RotatingFileOptions {
  /** @default 10 MiB */
  maxBytes?: number | undefined;
  /** Rotated files kept besides the current one. @default 3 */
  keep?: number | undefined;
}

export class RotatingFile {
  private stream: WriteStream;
  private size = 0;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(readonly path: string, options: RotatingFileOptions = {}) {
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.keep = options.keep ?? 3;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.stream = this.open();
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    this.size += bytes;
    this.stream.write(text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  private open(): WriteStream {
    // Opened synchronously so that a rotation right after always finds the file in place.
    const fd = openSync(this.path, "a", 0o600);
    this.size = fstatSync(fd).size;
    const stream = createWriteStream("", { fd });
    // A full disk must not take the gateway down: the log is best effort.
    stream.on("error", () => {});
    return stream;
  }

  private rotate(): void {
    // The old stream keeps its file descriptor across the rename, so its pending writes land in NAME.1.
    this.stream.end();
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.keep > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.stream = this.open();
  }
}

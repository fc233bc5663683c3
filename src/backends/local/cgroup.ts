/**
 * Memory limits with cgroup v1 (`/sys/fs/cgroup/memory`), where the host has it and we may write
 * it (root). The kernel kills a container over its limit; `oomKilled` tells the log why it died.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = "/sys/fs/cgroup/memory";

export function memoryCgroupsAvailable(): boolean {
  try {
    if (!existsSync(join(ROOT, "memory.limit_in_bytes"))) return false;
    mkdirSync(join(ROOT, "wharf"), { recursive: true });
    // Made by root earlier, it exists for an ordinary user too: what counts is whether we may write it.
    accessSync(join(ROOT, "wharf"), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class MemoryCgroup {
  private readonly dir: string;

  constructor(id: string, readonly limitMiB: number) {
    this.dir = join(ROOT, "wharf", `${id}-${process.pid}`);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, "memory.limit_in_bytes"), String(limitMiB * 1024 * 1024));
    // Without swap accounting the limit could be dodged by swapping; set it where it exists.
    const swap = join(this.dir, "memory.memsw.limit_in_bytes");
    if (existsSync(swap)) {
      try {
        writeFileSync(swap, String(limitMiB * 1024 * 1024));
      } catch {
        // swap accounting disabled on this kernel
      }
    }
  }

  /** Moves a process (and so everything it spawns later) into the group. */
  add(pid: number): void {
    writeFileSync(join(this.dir, "cgroup.procs"), String(pid));
  }

  /** True when the kernel's OOM killer acted in this group. */
  oomKilled(): boolean {
    try {
      const control = readFileSync(join(this.dir, "memory.oom_control"), "utf8");
      const kills = /oom_kill (\d+)/.exec(control)?.[1];
      if (kills !== undefined) return Number(kills) > 0;
      return Number(readFileSync(join(this.dir, "memory.failcnt"), "utf8")) > 0;
    } catch {
      return false;
    }
  }

  /** Removes the group once its last member is gone (retried briefly: the kernel lags a little). */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }
}

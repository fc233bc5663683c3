/** Long-running commands end on Ctrl-C or SIGTERM: say so, then run their shutdown. */
import type { Output } from "./output.ts";

export function untilStopped(out: Output, shutdown: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      out.info("stopping…");
      shutdown().then(resolve, (err: unknown) => {
        out.error(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        resolve();
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** The Backend conformance suite (backend-suite.ts) against the local backend: OS processes. */
import type { ContainerHandle } from "../../src/backends/backend.ts";
import { LocalBackend } from "../../src/backends/local/local-backend.ts";
import { ROOT } from "../helpers/serve.ts";
import { AGENT, backendConformance } from "./backend-suite.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

backendConformance("local", async () => {
  const backend = new LocalBackend({ agentPath: AGENT, standby: 0, reach: [ROOT] });
  return {
    backend,
    async gone(handles: ContainerHandle[]) {
      for (let i = 0; i < 100 && handles.some((h) => h.pid > 0 && alive(h.pid)); i++) await new Promise((r) => setTimeout(r, 50));
      const left = handles.filter((h) => h.pid > 0 && alive(h.pid)).map((h) => h.pid);
      if (left.length > 0) throw new Error(`processes ${left.join(", ")} still run`);
    },
    close: () => backend.close(),
  };
});

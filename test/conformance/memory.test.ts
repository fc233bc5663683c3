/** The Backend conformance suite (backend-suite.ts) against the in-process test fake, so the fake keeps the contract the real backends keep. */
import { MemoryBackend } from "../fakes/memory-backend.ts";
import { backendConformance } from "./backend-suite.ts";

const CONTAINER = (id: string): string => `memory/${id}`;

backendConformance("memory (test fake)", async () => {
  const backend = new MemoryBackend({
    subject: (req, res, container) => {
      const url = new URL(req.url ?? "/", "http://x");
      const answer = (): void => {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ container: CONTAINER(container.id), path: url.pathname }));
      };
      if (url.pathname === "/die") {
        answer();
        setTimeout(() => container.crash(), 20);
      } else if (url.pathname === "/slow") setTimeout(answer, Number(url.searchParams.get("ms") ?? "0"));
      else answer();
    },
  });
  return {
    backend,
    async gone(handles) {
      const left = handles.filter((h) => backend.containers.find((c) => c === h)?.alive === true);
      if (left.length > 0) throw new Error(`containers ${left.map((h) => h.id).join(", ")} still run`);
    },
    close: () => backend.close(),
  };
});

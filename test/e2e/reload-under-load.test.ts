/**
 * Reloads that fail nothing: under a steady load, saving the app (and saving a broken version)
 * causes 0 failed requests; the old version's containers finish their work, run `exit` hooks
 * and stop.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../helpers/load.ts";
import { startServe, type Served } from "../helpers/serve.ts";

const source = (v: number): string => `
import * as wharf from "wharf";
const app = new wharf.App("steady");
@app.cls({ maxContainers: 4, concurrency: { maxInputs: 4 } })
export class Api {
  @wharf.fastapiEndpoint({ label: "steady" }) get() {
    return new Promise((r) => setTimeout(() => r({ version: ${v} }), 5));
  }
  @wharf.exit() bye() { console.log("exit hook of version ${v}"); }
}
`;

// Both gateway modes: requests re-issued by the gateway, and connections handed to containers.
describe.each([
  ["reload under load", []],
  ["reload under a keep-alive load with --handoff", ["--handoff"]],
])("%s", (_name, args: string[]) => {
  let dir: string;
  let file: string;
  let served: Served;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-steady-"));
    file = join(dir, "app.ts");
    writeFileSync(file, source(1));
    served = await startServe(file, { args });
  });
  afterAll(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails no request across a good save and a broken save", async () => {
    const load = startLoad(served.port, "steady-dev.localhost", { connections: 8, maxMs: 60_000 });
    await expect.poll(() => load.result.ok, { timeout: 10_000 }).toBeGreaterThan(50);

    writeFileSync(file, source(2));
    await served.waitFor(/exit hook of version 1/, 30_000);
    await expect.poll(() => load.result.bodies.get('{"version":2}') ?? 0, { timeout: 10_000 }).toBeGreaterThan(50);

    writeFileSync(file, `${source(3)}\nexport const broken = ;\n`);
    await served.waitFor(/reload failed, still serving the last good version/, 30_000);
    const before = load.result.ok;
    await expect.poll(() => load.result.ok, { timeout: 10_000 }).toBeGreaterThan(before + 50);

    writeFileSync(file, source(4));
    await served.waitFor(/exit hook of version 2/, 30_000);
    await expect.poll(() => load.result.bodies.get('{"version":4}') ?? 0, { timeout: 10_000 }).toBeGreaterThan(50);

    const result = await load.stop();
    expect(result.failed).toEqual([]);
    expect([...result.bodies.keys()].sort()).toEqual(['{"version":1}', '{"version":2}', '{"version":4}']);
  });
});

/**
 * Reload on save (docs/reference.md §4): the new version takes over only once it has loaded; a broken save
 * prints its error and the last good version keeps serving.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

const version = (v: number, extra = ""): string => `
import * as wharf from "wharf";
const app = new wharf.App("reload");
${extra}
export const current = app.function()(
  wharf.fastapiEndpoint()(function current() {
    return { version: ${v} };
  }),
);
`;

describe("reload on save", () => {
  let dir: string;
  let file: string;
  let served: Served;
  const host = "reload-current-dev.localhost";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-reload-"));
    file = join(dir, "app.ts");
    writeFileSync(file, version(1));
    served = await startServe(file);
  });
  afterAll(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const reloads = (): number => served.lines.filter((l) => l.includes("changed, reloading")).length;
  async function save(source: string, outcome: RegExp): Promise<void> {
    const before = served.lines.length;
    writeFileSync(file, source);
    await expect.poll(() => served.lines.slice(before).some((l) => outcome.test(l)), { timeout: 20_000 }).toBe(true);
  }

  it("serves the first version", async () => {
    expect((await served.request(host)).json()).toEqual({ version: 1 });
  });

  it("switches to a new version once it has loaded", async () => {
    await save(version(2), /web function current =>/);
    expect((await served.request(host)).json()).toEqual({ version: 2 });
  });

  it("prints one line per function on reload, and nothing per container", async () => {
    const before = served.lines.length;
    const other = `export const other = app.function()(wharf.fastapiEndpoint()(function other() { return { other: true }; }));`;
    await save(version(2, other), /web function other =>/);
    await new Promise((r) => setTimeout(r, 1500)); // the old version's containers stop meanwhile
    // Not the containers' own output ([fn] …), nor the request log (a time first).
    const printed = served.lines.slice(before).filter((l) => !l.startsWith("[") && !/^\d\d:\d\d:\d\d\.\d{3} /.test(l));
    expect(printed).toEqual([
      "↻ app.ts changed, reloading…",
      `✓ web function other => http://reload-other-dev.localhost:${served.port}`,
      `✓ web function current => http://reload-current-dev.localhost:${served.port}`,
    ]);
  });

  it("keeps the last good version when the save does not compile", async () => {
    await save(`${version(3)}\nexport const broken = ;\n`, /reload failed, still serving the last good version: .*app\.ts:\d+:\d+/);
    expect((await served.request(host)).json()).toEqual({ version: 2 });
  });

  it("keeps the last good version when the new version fails to load", async () => {
    await save(version(4, `throw new Error("boom at import");`), /reload failed, still serving the last good version: .*boom at import/);
    expect((await served.request(host)).json()).toEqual({ version: 2 });
  });

  it("keeps the last good version when a serving function would no longer start", async () => {
    const broken = `
import * as wharf from "wharf";
const app = new wharf.App("reload");
@app.cls()
export class current {
  @wharf.enter() setup() { throw new Error("broken on save"); }
  @wharf.fastapiEndpoint({ label: "reload-current" }) get() { return { version: 6 }; }
}
`;
    await save(broken, /reload failed, still serving the last good version: current failed to start: .*broken on save/);
    expect((await served.request(host)).json()).toEqual({ version: 2 });
  });

  it("keeps serving the old version while the new one starts, then flips", async () => {
    // The new version's container takes ~1.5 s to start (a slow enter hook): requests during
    // that time must be answered by version 2, and afterwards by version 5.
    const slow = `
import * as wharf from "wharf";
const app = new wharf.App("reload");
@app.cls()
export class current {
  @wharf.enter() async setup() { await new Promise((r) => setTimeout(r, 1500)); }
  @wharf.fastapiEndpoint({ label: "reload-current" }) get() { return { version: 5 }; }
}
`;
    const before = served.lines.length;
    const count = reloads();
    writeFileSync(file, slow);
    await expect.poll(reloads, { timeout: 10_000 }).toBeGreaterThan(count);
    const during = await served.request(host);
    expect(during.json()).toEqual({ version: 2 });
    await expect.poll(() => served.lines.slice(before).some((l) => /web function current\.get =>/.test(l)), { timeout: 20_000 }).toBe(true);
    expect((await served.request(host)).json()).toEqual({ version: 5 });
  });

  it("stops on Ctrl-C with exit code 0", async () => {
    expect(await served.stop("SIGINT")).toBe(0);
  });
});

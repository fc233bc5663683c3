/**
 * The project's corpus of malformed and hostile requests (test/corpus/hostile-requests.json), run
 * over raw sockets against `wharf serve` and `wharf server`, each in both gateway modes (the proxy
 * path and `--handoff`): each case gets its stated status,
 * a `wharf: ` answer, and nothing of it reaches an app (test/fixtures/hostile-client.ts prints a marker
 * for every request it receives; none may name the case).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../helpers/raw-http.ts";
import { ROOT, startServe } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir } from "../helpers/server.ts";

interface Case {
  name: string;
  status: number;
  request: string;
  /** The body breaks after the head was accepted: the head may reach the app, cut off; nothing smuggled does. */
  streamed?: boolean;
}

const CORPUS = JSON.parse(readFileSync(resolve(ROOT, "test/corpus/hostile-requests.json"), "utf8")) as { cases: Case[] };
const FLOOD = Array.from({ length: 2001 }, () => "x:1\r\n").join("");
const LIMITS = ["--max-body-mb", "1", "--headers-timeout-ms", "3000"];

/** The fixture's hosts: `wharf serve` adds `-dev` to every label. */
const hostsFor = (suffix: string) => ({ open: `hostile-hostile-open${suffix}.localhost`, secret: `hostile-hostile-secret${suffix}.localhost`, web: `hostile-web${suffix}.localhost` });

interface Target {
  port: number;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<unknown>;
}

async function serve(flags: string[]): Promise<Target> {
  return startServe("test/fixtures/hostile-client.ts", { args: [...flags, ...LIMITS] });
}

async function server(flags: string[]): Promise<Target> {
  const data = tempDataDir("wharf-corpus-");
  const running = await startServer(data.dir, { args: [...flags, ...LIMITS] });
  const deployed = await cli(data.dir, ["deploy", "test/fixtures/hostile-client.ts"]);
  if (deployed.code !== 0) throw new Error(deployed.output);
  return { port: running.port, lines: running.lines, waitFor: running.waitFor, stop: async () => { await running.stop(); data.remove(); } };
}

function build(template: string, tag: string, hosts: ReturnType<typeof hostsFor>): string {
  return template
    .replaceAll("{open}", hosts.open)
    .replaceAll("{secret}", hosts.secret)
    .replaceAll("{web}", hosts.web)
    .replaceAll("{tag}", tag)
    .replaceAll("{flood}", FLOOD)
    .replaceAll("{16k}", "a".repeat(17 * 1024));
}

describe.each([
  ["wharf serve", serve, "-dev", [] as string[]],
  ["wharf serve --handoff", serve, "-dev", ["--handoff"]],
  ["wharf server", server, "", [] as string[]],
  ["wharf server --handoff", server, "", ["--handoff"]],
])("the hostile-request corpus, %s", (mode, start, suffix, flags) => {
  const HOSTS = hostsFor(suffix);
  let served: Target;
  beforeAll(async () => {
    served = await start(flags);
  }, 90_000);
  afterAll(async () => {
    await served?.stop();
  });

  it("has the cases it claims (so the checks below cannot pass empty)", () => {
    expect(CORPUS.cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CORPUS.cases.map((c) => c.name)).size).toBe(CORPUS.cases.length);
  });

  it.each(CORPUS.cases.map((c, i) => [c.name, c, `corpus-${mode.replace(/\W+/g, "")}-${i}`] as const))("answers %s as stated; nothing reaches an app", async (_name, c, tag) => {
    const answer = await rawRequest(served.port, build(c.request, tag, HOSTS));
    expect(answer, JSON.stringify(answer).slice(0, 400)).toMatchObject({ status: c.status });
    if (answer.status !== undefined) expect(answer.body).toMatch(/^wharf: /);
    // The app serves requests in arrival order: once this one's marker shows, any earlier one would have.
    const settle = await rawRequest(served.port, `GET /settle-${tag} HTTP/1.1\r\nHost: ${HOSTS.open}\r\nConnection: close\r\n\r\n`);
    expect(settle).toMatchObject({ status: 200 });
    await served.waitFor(new RegExp(`hostile: open GET /settle-${tag} `));
    const reached = served.lines.filter((l) => l.includes("hostile:") && l.includes(tag) && !l.includes(`/settle-${tag}`));
    if (c.streamed === true) expect(reached.filter((l) => l.includes(`${tag}-smuggled`))).toEqual([]);
    else expect(reached).toEqual([]);
    expect(served.lines.filter((l) => l.includes("hostile: secret reached"))).toEqual([]);
  });
});

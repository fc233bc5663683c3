/**
 * `.env` under `wharf serve` (issue 10.6): the working directory's `.env`, then each `--env-file`
 * (a later file's key wins), under the shell's own variables (they win) and each function's `env`
 * (it wins over all); module top-level code sees them too; an edited `.env` reloads; a function's
 * `secrets` are not looked up (their keys come from `.env`), said once; a missing `--env-file`
 * or a malformed line stops the command naming the file and line.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToEnd, startServe, type Served } from "../helpers/serve.ts";

const APP = `
import * as wharf from "wharf";
const atImport = process.env["FROM_DOTENV"] ?? null;
const app = new wharf.App("envy");
const pick = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, process.env[k] ?? null]));
export const show = app.function({ env: { FN_WINS: "from-env-option" } })(
  wharf.fastapiEndpoint({ method: "GET" })(function show() {
    return { atImport, ...pick("FROM_DOTENV", "FROM_FILE", "SHELL_WINS", "FN_WINS", "MULTI") };
  }),
);
export const paid = app.function({ secrets: ["stripe"] })(
  wharf.fastapiEndpoint({ method: "GET" })(function paid() {
    return pick("STRIPE_KEY");
  }),
);
`;

const DOTENV = ["# local settings", "FROM_DOTENV=dot", "SHELL_WINS=dotenv", "FN_WINS=dotenv", "export STRIPE_KEY=sk_test_local", 'MULTI="a\\nb"', ""].join("\n");

describe("wharf serve with .env and --env-file", () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-serve-env-"));
  const env = { WHARF_DATA: join(dir, "data"), SHELL_WINS: "shell" };
  let served: Served;
  beforeAll(async () => {
    // A sandboxed container runs as a uid of its own: the project must be readable by others.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "app.ts"), APP);
    writeFileSync(join(dir, ".env"), DOTENV);
    writeFileSync(join(dir, "extra.env"), "FROM_FILE=file\nFROM_DOTENV=file-wins\n");
    served = await startServe("app.ts", { cwd: dir, args: ["--env-file", "extra.env"], env });
  }, 60_000);
  afterAll(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives containers .env then --env-file, under the shell's variables and the function's env, at import too", async () => {
    const answer = await served.request("envy-show-dev.localhost");
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toEqual({ atImport: "file-wins", FROM_DOTENV: "file-wins", FROM_FILE: "file", SHELL_WINS: "shell", FN_WINS: "from-env-option", MULTI: "a\nb" });
  });

  it("reads no server secrets for secrets: [...], says so once, and the keys come from .env", async () => {
    expect((await served.request("envy-paid-dev.localhost")).json()).toEqual({ STRIPE_KEY: "sk_test_local" });
    const notes = served.lines.filter((l) => l.includes("paid uses secrets stripe: wharf serve reads no server secrets, so give their keys to it in .env (or --env-file FILE)"));
    expect(notes).toHaveLength(1);
  });

  it("reloads when .env changes", async () => {
    writeFileSync(join(dir, ".env"), DOTENV.replace("STRIPE_KEY=sk_test_local", "STRIPE_KEY=sk_test_rotated"));
    await expect.poll(async () => (await served.request("envy-paid-dev.localhost")).json(), { timeout: 20_000, interval: 250 }).toEqual({ STRIPE_KEY: "sk_test_rotated" });
    expect(served.lines.filter((l) => l.includes("wharf serve reads no server secrets"))).toHaveLength(1);
  }, 30_000);

  it("stops on a missing --env-file, naming it", async () => {
    const { code, output } = await runToEnd(["serve", "app.ts", "--port", "0", "--env-file", "nope.env"], { cwd: dir, env });
    // Node 20 looks for --env-file's file anywhere on its command line, the script's arguments
    // included, and exits 9 before Wharf runs; later Nodes leave them to the script.
    if (code === 9) expect(output).toContain("node: nope.env: not found");
    else {
      expect(code).toBe(1);
      expect(output).toContain(`error: env file ${join(dir, "nope.env")} does not exist: check the path given to --env-file`);
    }
  });

  it("refuses a secrets option that is not a list of distinct names", async () => {
    const cases: [string, string][] = [
      [`"stripe"`, "Function f: option secrets must be a list of secret names, like secrets: [\"stripe\"]."],
      [`["no spaces"]`, `Function f: secret name "no spaces" is invalid: use 1..64 of letters, digits, '.', '_' and '-', starting with a letter or digit.`],
      [`["a", "a"]`, "Function f: secret a is listed twice in secrets."],
    ];
    for (const [option, message] of cases) {
      writeFileSync(join(dir, "bad-secrets.ts"), `import * as wharf from "wharf";\nconst app = new wharf.App("bad");\nexport const f = app.function({ secrets: ${option} } as never)(wharf.fastapiEndpoint()(() => 1));\n`);
      const { code, output } = await runToEnd(["serve", "bad-secrets.ts", "--port", "0"], { cwd: dir, env });
      expect(code, output).toBe(1);
      expect(output).toContain(message);
    }
  }, 60_000);

  it("stops on a malformed line, naming the file and line", async () => {
    writeFileSync(join(dir, "bad.env"), "GOOD=1\nthis is not a pair\n");
    const { code, output } = await runToEnd(["serve", "app.ts", "--port", "0", "--env-file", "bad.env"], { cwd: dir, env });
    expect(code).toBe(1);
    expect(output).toContain(`error: ${join(dir, "bad.env")}:2 is not KEY=VALUE: write it as NAME=value`);
  });
});

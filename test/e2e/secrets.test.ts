/**
 * Secrets under `wharf server` (issue 10.6), attacked the way they would leak: a deploy naming a
 * secret the server lacks is refused; a function gets only the secrets it names (another one,
 * reading its own environment and every /proc/PID/environ it can, finds nothing); the server's own
 * environment (a canary, an operator credential) reaches no container and no checker; no value
 * shows in `secret list`, its JSON, the admin API's answers, the server's output, or any byte of
 * any file in the data dir; a changed value reaches containers started after the change.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const FIXTURE = "test/fixtures/secrets.ts";
const value = (what: string): string => `${what}-${randomBytes(12).toString("hex")}`;
const STRIPE = value("sk_live");
const STRIPE_2 = value("sk_live_rotated");
const SHARED = value("shared");
const CANARY = value("canary");
const OPERATOR = value("operator-credential");
const VALUES = [STRIPE, STRIPE_2, SHARED];

type Report = { env: Record<string, string>; found: string[] };

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("secrets under wharf server", () => {
  const data = tempDataDir("wharf-secrets-");
  const wharf = (...args: string[]) => cli(data.dir, args);
  let server: Server;
  const report = async (fn: "paid" | "free", find = ""): Promise<Report> => {
    const answer = await server.request(`vault-${fn}.localhost`, "/", { headers: { "x-find": find } });
    expect(answer.status, answer.text).toBe(200);
    return answer.json<Report>();
  };
  /** The admin API's JSON answer to GET `path`, as text. */
  const admin = async (path: string): Promise<string> => {
    const { address, token } = JSON.parse(readFileSync(join(data.dir, "admin.json"), "utf8")) as { address: string; token: string };
    const response = await fetch(new URL(path, address), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    server = await startServer(data.dir, { env: { SERVER_ONLY_CANARY: CANARY, AWS_SECRET_ACCESS_KEY: OPERATOR, NODE_ENV: "staging" } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it("refuses a deploy naming a secret the server does not have, naming it and the command that creates it", async () => {
    const refused = await wharf("deploy", FIXTURE);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("error: function paid uses secret stripe, which does not exist on this server");
    expect(refused.output).toContain("function paid uses secret shared");
    expect(refused.output).toContain("create each with wharf secret create NAME KEY=VALUE…; nothing was changed");
    expect((await wharf("app", "list")).output).not.toMatch(/^vault\s/m);
  }, 60_000);

  it("creates secrets without printing a value", async () => {
    const created = await wharf("secret", "create", "stripe", `STRIPE_KEY=${STRIPE}`, "SHARED_KEY=from-stripe");
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain("✓ secret stripe created with keys SHARED_KEY, STRIPE_KEY");
    const shared = await wharf("secret", "create", "shared", `SHARED_KEY=${SHARED}`, `SHARED_ONLY=${SHARED}`);
    expect(shared.code, shared.output).toBe(0);
    const again = await wharf("secret", "create", "stripe", "STRIPE_KEY=other");
    expect(again.code).toBe(1);
    expect(again.output).toContain("error: secret stripe already exists: pass --force to replace its keys and values");
    for (const out of [created.output, shared.output]) for (const v of VALUES) expect(out).not.toContain(v);
  }, 60_000);

  it("gives each function its own secrets and env over PATH, HOME and NODE_ENV, and nothing of the server's environment", async () => {
    const deployed = await wharf("deploy", FIXTURE);
    expect(deployed.code, deployed.output).toBe(0);

    const paid = await report("paid");
    // Secrets in list order (shared's SHARED_KEY over stripe's), then env over every secret.
    expect(paid.env).toEqual({
      PATH: `${process.env["PATH"]}:/nonexistent/wharf-test-tag-${server.tag}`, // the server's (startServer tags it)
      ...(process.env["HOME"] === undefined ? {} : { HOME: process.env["HOME"] }),
      NODE_ENV: "staging",
      STRIPE_KEY: STRIPE,
      SHARED_ONLY: SHARED,
      SHARED_KEY: "from-env",
      MODE: "prod",
    });

    // The other function: only the base, and no trace of any value in any environment it can read.
    let leaks = 0;
    for (const v of [STRIPE, SHARED, CANARY, OPERATOR]) {
      const free = await report("free", v);
      expect(Object.keys(free.env).sort()).toEqual(["HOME", "NODE_ENV", "PATH"].filter((k) => k !== "HOME" || process.env["HOME"] !== undefined));
      leaks += free.found.length + (JSON.stringify(free.env).includes(v) ? 1 : 0);
    }
    expect(leaks).toBe(0);
    // The server's own environment is in neither (the app's top level also refuses to load if so).
    expect(JSON.stringify(paid)).not.toContain(CANARY);
    expect(JSON.stringify(paid)).not.toContain(OPERATOR);
  }, 60_000);

  it("never shows a value: secret list, its JSON, the admin API, the server's output", async () => {
    const list = await wharf("secret", "list");
    expect(list.code).toBe(0);
    expect(list.output).toMatch(/^NAME\s+KEYS\s+UPDATED\s+USED BY$/m);
    expect(list.output).toMatch(/^stripe\s+SHARED_KEY,STRIPE_KEY\s+\S+ \S+\s+vault\/paid$/m);
    expect(list.output).toMatch(/^shared\s+SHARED_KEY,SHARED_ONLY\s+\S+ \S+\s+vault\/paid$/m);
    const json = await wharf("secret", "list", "--json");
    expect(JSON.parse(json.output)).toEqual([
      { name: "shared", keys: ["SHARED_KEY", "SHARED_ONLY"], created: expect.any(Number), updated: expect.any(Number), usedBy: ["vault/paid"] },
      { name: "stripe", keys: ["SHARED_KEY", "STRIPE_KEY"], created: expect.any(Number), updated: expect.any(Number), usedBy: ["vault/paid"] },
    ]);
    const answers = [list.output, json.output, await admin("/v1/secrets"), await admin("/v1/apps"), await admin("/v1/apps/vault/history"), server.lines.join("\n")];
    let shown = 0;
    for (const text of answers) for (const v of VALUES) if (text.includes(v)) shown++;
    expect(shown).toBe(0);
  }, 60_000);

  it("keeps no value in clear in any file of the data dir (the database, its log, bundles, logs)", async () => {
    const all = files(data.dir);
    expect(all.map((f) => f.slice(data.dir.length))).toContain("/wharf.db");
    const found = all.flatMap((file) => VALUES.filter((v) => readFileSync(file).includes(v)).map(() => file.slice(data.dir.length)));
    expect(found).toEqual([]);
  });

  it("gives a changed value to containers started after the change: running ones keep theirs until a redeploy", async () => {
    const replaced = await wharf("secret", "create", "stripe", `STRIPE_KEY=${STRIPE_2}`, "--force");
    expect(replaced.code, replaced.output).toBe(0);
    expect(replaced.output).toContain("✓ secret stripe replaced with keys STRIPE_KEY");
    expect(replaced.output).toContain("used by vault/paid: their containers started from now on get the new values (redeploy to replace running ones)");
    expect((await report("paid")).env["STRIPE_KEY"]).toBe(STRIPE);
    expect((await wharf("deploy", FIXTURE)).code).toBe(0);
    const paid = await report("paid");
    expect(paid.env["STRIPE_KEY"]).toBe(STRIPE_2);
    // stripe no longer has SHARED_KEY; shared's and env's order is as before.
    expect(paid.env["SHARED_KEY"]).toBe("from-env");
  }, 60_000);

  it("refuses to delete a secret a running app uses; deletes it once the app is stopped", async () => {
    const refused = await wharf("secret", "delete", "stripe");
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("error: secret stripe is used by vault/paid: deploy that app without it, or stop it first (wharf app stop vault)");
    expect((await wharf("app", "stop", "vault")).code).toBe(0);
    const deleted = await wharf("secret", "delete", "stripe");
    expect(deleted.code, deleted.output).toBe(0);
    expect(deleted.output).toContain("✓ secret stripe deleted");
    const missing = await wharf("secret", "delete", "stripe");
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("error: no secret stripe on this server: see wharf secret list");
    expect((await wharf("secret", "list")).output).not.toMatch(/^stripe\s/m);
    const rollback = await wharf("app", "rollback", "vault");
    expect(rollback.code).toBe(1);
    expect(rollback.output).toContain("function paid uses secret stripe, which does not exist on this server: create it with wharf secret create stripe KEY=VALUE…; nothing was changed");
  }, 60_000);

  it("reads pairs from --env-file, the command line's winning", async () => {
    const file = join(data.dir, "..", `${randomBytes(4).toString("hex")}-prod.env`);
    writeFileSync(file, `DATABASE_URL="postgres://u:${SHARED}@db/app"\nPOOL=5\n`);
    try {
      const created = await wharf("secret", "create", "postgres", "--env-file", file, "POOL=10", "--json");
      expect(created.code, created.output).toBe(0);
      expect(JSON.parse(created.output)).toMatchObject({ name: "postgres", keys: ["DATABASE_URL", "POOL"], usedBy: [] });
      expect(created.output).not.toContain(SHARED);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);

  it("refuses bad input with the fix, echoing no value", async () => {
    const badKey = await wharf("secret", "create", "x", "bad-key=hunter2-value");
    expect(badKey.code).toBe(1);
    expect(badKey.output).toContain(`"bad-key" is not KEY=VALUE`);
    expect(badKey.output).not.toContain("hunter2");
    const badName = await wharf("secret", "create", "-x", "A=1");
    expect(badName.code).toBe(2);
    const platform = await wharf("secret", "create", "x", "WHARF_SOCKET=/tmp/x");
    expect(platform.code).toBe(1);
    expect(platform.output).toContain("key WHARF_SOCKET of secret x starts with WHARF_, which is the platform's own: rename it");
    const none = await wharf("secret", "create", "x");
    expect(none.code).toBe(2);
    expect(none.output).toContain("wharf secret create x needs at least one KEY=VALUE pair (or --env-file FILE)");
  }, 60_000);
});

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Secrets, secretProblem } from "./secrets.ts";
import { Store } from "./store.ts";

let dir: string;
let store: Store;
let secrets: Secrets;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wharf-secrets-"));
  store = Store.open(dir);
  secrets = new Secrets(store);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const VALUE = "sk_live_7f3a9c1e5b2d4a6f8e0c";

it("stores values sealed: no file of the data dir holds one in clear, and list shows only keys", () => {
  secrets.put("stripe", { STRIPE_KEY: VALUE, STRIPE_HOOK: `${VALUE}-hook` }, false);
  secrets.put("stripe", { STRIPE_KEY: `${VALUE}-v2` }, true);
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  expect(secrets.list()).toMatchObject([{ name: "stripe", keys: ["STRIPE_KEY"] }]);
  expect(JSON.stringify(secrets.list())).not.toContain(VALUE);
  store.close();
  const found = readdirSync(dir).filter((f) => f.startsWith("wharf.db")).filter((f) => readFileSync(join(dir, f)).includes(VALUE));
  expect(found).toEqual([]);
  store = Store.open(dir);
  secrets = new Secrets(store);
  expect(secrets.environment(["stripe"], "pay")).toEqual({ STRIPE_KEY: `${VALUE}-v2` });
});

it("refuses to replace without replace, and names the fix", () => {
  secrets.put("db", { URL: "x" }, false);
  expect(() => secrets.put("db", { URL: "y" }, false)).toThrow(/secret db already exists: pass --force/);
  expect(secrets.environment(["db"], "f")).toEqual({ URL: "x" });
});

it("merges secrets in order (a later key wins) and names a missing one with the command that creates it", () => {
  secrets.put("a", { K: "1", A: "a" }, false);
  secrets.put("b", { K: "2" }, false);
  expect(secrets.environment(["a", "b"], "f")).toEqual({ K: "2", A: "a" });
  expect(() => secrets.environment(["a", "nope"], "api")).toThrow("function api uses secret nope, which does not exist on this server: create it with wharf secret create nope KEY=VALUE…");
});

it("a sealed value moved to another secret's row does not open", () => {
  secrets.put("a", { K: "1" }, false);
  secrets.put("b", { K: "2" }, false);
  store.db.prepare("UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE name = 'a') WHERE name = 'b'").run();
  expect(() => secrets.environment(["b"], "f")).toThrow(/secret b: cannot decrypt it/);
});

it.each([
  ["bad name", "-x", { K: "v" }, /secret name "-x" is invalid/],
  ["no keys", "s", {}, /has no KEY=VALUE pair/],
  ["bad key", "s", { "1K": "v" }, /key "1K" of secret s is not an environment variable name/],
  ["platform key", "s", { WHARF_SOCKET: "v" }, /starts with WHARF_/],
  ["NUL", "s", { K: "a\0b" }, /contains a NUL byte/],
])("refuses %s", (_what, name, values, message) => {
  expect(secretProblem(name, values)).toMatch(message);
});

it("removes a secret; false when there is none", () => {
  secrets.put("a", { K: "1" }, false);
  expect(secrets.remove("a")).toBe(true);
  expect(secrets.remove("a")).toBe(false);
  expect(secrets.has("a")).toBe(false);
});

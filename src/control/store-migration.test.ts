import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Store } from "./store.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wharf-migrate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A data dir as a server made it before the schema was versioned (user_version 0, no domains). */
function legacyStore(): void {
  const db = new Database(join(dir, "wharf.db"));
  db.exec(`
    CREATE TABLE apps (name TEXT PRIMARY KEY, created INTEGER NOT NULL);
    CREATE TABLE versions (
      app TEXT NOT NULL REFERENCES apps(name), number INTEGER NOT NULL, bundle_hash TEXT NOT NULL,
      manifest TEXT NOT NULL, created INTEGER NOT NULL, note TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active', 'stopped', 'superseded')),
      PRIMARY KEY (app, number));
    CREATE UNIQUE INDEX one_active_version ON versions(app) WHERE status = 'active';
    CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BLOB NOT NULL, created INTEGER NOT NULL, revoked INTEGER);
    INSERT INTO apps VALUES ('shop', 1);
    INSERT INTO versions VALUES ('shop', 1, 'h1', '{}', 1, 'deploy', 'active');
    INSERT INTO tokens VALUES ('wk-a', 'ci', x'00', 1, NULL);
  `);
  db.close();
}

it("migrates a store made before domains, keeping its apps, versions and tokens", () => {
  legacyStore();
  const store = Store.open(dir);
  expect(store.activeVersion("shop")?.bundleHash).toBe("h1");
  expect(store.tokens().map((t) => t.id)).toEqual(["wk-a"]);
  expect(store.db.pragma("user_version", { simple: true })).toBe(4);
  store.putDomain({ name: "api.example.test", source: "cert", acmeDirectory: null, acmeEmail: null, created: 1 }, { certPem: "C", keyPem: "K", notBefore: 1, notAfter: 2, created: 1 });
  store.close();

  const again = Store.open(dir);
  expect(again.domains()).toMatchObject([{ name: "api.example.test", source: "cert", certificate: { certPem: "C", keyPem: "K", notAfter: 2 } }]);
  expect(again.activate("shop", "h2", "{}", "deploy").number).toBe(2);
  expect(again.removeDomain("api.example.test")).toBe(true);
  expect(again.db.prepare("SELECT COUNT(*) AS n FROM certificates").get()).toEqual({ n: 0 });
  again.close();
});

it("refuses a store written by a newer Wharf", () => {
  Store.open(dir).close();
  const db = new Database(join(dir, "wharf.db"));
  db.pragma("user_version = 99");
  db.close();
  expect(() => Store.open(dir)).toThrow(/written by a newer Wharf \(schema 99, this one knows 4\)/);
});

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { SecretBox } from "./secret-box.ts";
import { Store } from "./store.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wharf-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

/** Every file of the SQLite database (main file, write-ahead log), as text. */
function databaseBytes(): string {
  return ["wharf.db", "wharf.db-wal"].map((f) => { try { return readFileSync(join(dir, f), "latin1"); } catch { return ""; } }).join("");
}

it("creates a 0600 key file in the data dir on first use, and reuses it", () => {
  const box = SecretBox.forDataDir(dir)!;
  expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600);
  const sealed = box.seal("hello", "ctx");
  expect(sealed).toMatch(/^wharf-sealed:v1:/);
  expect(sealed).not.toContain("hello");
  expect(SecretBox.forDataDir(dir)!.open(sealed, "ctx")).toBe("hello");
});

it("refuses to open with another context or another key, naming the key file", () => {
  const sealed = SecretBox.forDataDir(dir)!.seal("hello", "certificate key of a.example");
  expect(() => SecretBox.forDataDir(dir)!.open(sealed, "certificate key of b.example")).toThrow(/cannot decrypt it with the key in .*secret\.key/);
  const other = join(dir, "other.key");
  writeFileSync(other, Buffer.alloc(32, 7), { mode: 0o600 });
  expect(() => SecretBox.forDataDir(dir, { env: { WHARF_SECRET_KEY_FILE: other } })!.open(sealed, "certificate key of a.example")).toThrow(/other\.key/);
});

it("takes the operator's key file, refusing one others can read or of the wrong size", () => {
  const given = join(dir, "given.key");
  writeFileSync(given, `${Buffer.alloc(32, 1).toString("base64")}\n`, { mode: 0o600 });
  const box = SecretBox.forDataDir(dir, { env: { WHARF_SECRET_KEY_FILE: given } })!;
  expect(box.keyFile).toBe(given);
  expect(box.open(box.seal("x", "c"), "c")).toBe("x");
  chmodSync(given, 0o644);
  expect(() => SecretBox.forDataDir(dir, { env: { WHARF_SECRET_KEY_FILE: given } })).toThrow(/readable by others \(mode 644\): chmod 600/);
  writeFileSync(given, "short", { mode: 0o600 });
  chmodSync(given, 0o600);
  expect(() => SecretBox.forDataDir(dir, { env: { WHARF_SECRET_KEY_FILE: given } })).toThrow(/does not hold a 32-byte key/);
  expect(() => SecretBox.forDataDir(dir, { env: { WHARF_SECRET_KEY_FILE: join(dir, "none.key") } })).toThrow(/does not exist: create one with/);
});

it("stores certificate and ACME account keys sealed: no private key in the SQLite file", () => {
  const store = Store.open(dir);
  store.putDomain({ name: "api.example.test", source: "cert", acmeDirectory: null, acmeEmail: null, created: 1 }, { certPem: "C", keyPem: KEY_PEM, notBefore: 1, notAfter: 2, created: 1 });
  store.saveAcmeAccount({ directory: "https://acme.test/dir", email: "ops@example.test", keyPem: KEY_PEM, url: null });
  expect(store.domains()[0]?.certificate?.keyPem).toBe(KEY_PEM);
  expect(store.acmeAccount("https://acme.test/dir", "ops@example.test")?.keyPem).toBe(KEY_PEM);
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  store.close();
  expect(databaseBytes()).not.toMatch(/PRIVATE KEY/);
  expect(databaseBytes()).toContain("wharf-sealed:v1:");
});

it("seals the keys a store kept in clear (an older Wharf) when it opens, leaving no clear copy behind", () => {
  Store.open(dir).close();
  const db = new Database(join(dir, "wharf.db"));
  db.exec("INSERT INTO domains (name, source, created) VALUES ('old.example.test', 'cert', 1)");
  db.prepare("INSERT INTO certificates (domain, cert_pem, key_pem, not_before, not_after, created) VALUES ('old.example.test', 'C', ?, 1, 2, 1)").run(KEY_PEM);
  db.prepare("INSERT INTO acme_accounts (directory, email, key_pem, url, created) VALUES ('d', 'e', ?, NULL, 1)").run(KEY_PEM);
  db.close();
  expect(databaseBytes()).toMatch(/PRIVATE KEY/);

  const store = Store.open(dir);
  expect(store.domains()[0]?.certificate?.keyPem).toBe(KEY_PEM);
  expect(store.acmeAccount("d", "e")?.keyPem).toBe(KEY_PEM);
  store.close();
  expect(databaseBytes()).not.toMatch(/PRIVATE KEY/);
});

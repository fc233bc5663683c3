/**
 * The control plane's state in the data dir: apps, versions, proxy-auth tokens, custom domains
 * with their certificates and keys, ACME accounts and function secrets (secrets.ts) in SQLite (WAL, one transaction per change,
 * schema versioned by `PRAGMA user_version`), bundles as content-addressed files written by temp
 * file + fsync + rename. A crash at any point leaves either the old state or the new one, never half.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { WharfError } from "../sdk/errors.ts";
import { SecretBox } from "./secret-box.ts";

export type VersionStatus = "active" | "stopped" | "superseded";

export interface VersionRow {
  app: string;
  number: number;
  bundleHash: string;
  manifest: string;
  created: number;
  status: VersionStatus;
  /** How it came to be: `deploy`, or `rollback to v2`. */
  note: string;
}

export interface TokenRow {
  id: string;
  name: string;
  secretHash: Buffer;
  created: number;
  revoked: number | null;
}

export interface DomainRow {
  name: string;
  source: "cert" | "acme";
  acmeDirectory: string | null;
  acmeEmail: string | null;
  created: number;
  /** Why the last ACME renewal failed (cleared by the next certificate). */
  lastError: string | null;
}

export interface CertificateRow {
  /** The server certificate, then its intermediates (PEM). */
  certPem: string;
  /** Unencrypted PKCS#8 PEM: the database file is 0600. */
  keyPem: string;
  notBefore: number;
  notAfter: number;
  created: number;
}

export interface AcmeAccountRow {
  directory: string;
  email: string;
  keyPem: string;
  url: string | null;
}

/**
 * The schema, one step per version: a database at `user_version` N gets steps N+1… in one
 * transaction each. Step 1 is the schema that came before versioning (hence IF NOT EXISTS: such a
 * database is at version 0 and already has it). Steps only add: existing data is kept.
 */
const MIGRATIONS = [
  `
CREATE TABLE IF NOT EXISTS apps (name TEXT PRIMARY KEY, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
  app TEXT NOT NULL REFERENCES apps(name), number INTEGER NOT NULL, bundle_hash TEXT NOT NULL,
  manifest TEXT NOT NULL, created INTEGER NOT NULL, note TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'stopped', 'superseded')),
  PRIMARY KEY (app, number));
CREATE UNIQUE INDEX IF NOT EXISTS one_active_version ON versions(app) WHERE status = 'active';
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BLOB NOT NULL,
  created INTEGER NOT NULL, revoked INTEGER);
`,
  `
CREATE TABLE domains (
  name TEXT PRIMARY KEY, source TEXT NOT NULL CHECK (source IN ('cert', 'acme')),
  acme_directory TEXT, acme_email TEXT, created INTEGER NOT NULL, last_error TEXT);
CREATE TABLE certificates (
  domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
  cert_pem TEXT NOT NULL, key_pem TEXT NOT NULL,
  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE acme_accounts (
  directory TEXT NOT NULL, email TEXT NOT NULL, key_pem TEXT NOT NULL, url TEXT,
  created INTEGER NOT NULL, PRIMARY KEY (directory, email));
`,
  // Custom domains held by apps (issue 13.3): kept when an app stops, until \`wharf domain remove\`.
  // Seeded from each app's latest version.
  `
CREATE TABLE domain_claims (name TEXT PRIMARY KEY, app TEXT NOT NULL REFERENCES apps(name));
INSERT OR IGNORE INTO domain_claims (name, app)
  SELECT DISTINCT d.value, v.app
  FROM versions v, json_each(v.manifest, '$.functions') f, json_each(f.value, '$.endpoints') e, json_each(e.value, '$.customDomains') d
  WHERE json_valid(v.manifest) AND v.number = (SELECT MAX(number) FROM versions w WHERE w.app = v.app);
`,
  // Function secrets (issue 10.6, secrets.ts): key names in clear, the values sealed as one JSON object.
  `
CREATE TABLE secrets (name TEXT PRIMARY KEY, keys TEXT NOT NULL, sealed TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
`,
];

const DB_FILE = "wharf.db";
const HASH = /^[0-9a-f]{64}$/;

interface RawVersion {
  app: string;
  number: number;
  bundle_hash: string;
  manifest: string;
  created: number;
  status: VersionStatus;
  note: string;
}

interface RawToken {
  id: string;
  name: string;
  secret_hash: Buffer;
  created: number;
  revoked: number | null;
}

interface RawDomain {
  name: string;
  source: "cert" | "acme";
  acme_directory: string | null;
  acme_email: string | null;
  created: number;
  last_error: string | null;
  cert_pem: string | null;
  key_pem: string | null;
  not_before: number | null;
  not_after: number | null;
  cert_created: number | null;
}

/** What a certificate's key is sealed to (secret-box.ts): its domain's row. */
const certificateContext = (domain: string): string => `certificate key of ${domain}`;
const accountContext = (directory: string, email: string): string => `ACME account key of ${email} at ${directory}`;

const toDomain = (r: RawDomain, openKey: (sealed: string, domain: string) => string): DomainRow & { certificate: CertificateRow | undefined } => ({
  name: r.name,
  source: r.source,
  acmeDirectory: r.acme_directory,
  acmeEmail: r.acme_email,
  created: r.created,
  lastError: r.last_error,
  certificate:
    r.cert_pem === null || r.key_pem === null
      ? undefined
      : { certPem: r.cert_pem, keyPem: openKey(r.key_pem, r.name), notBefore: r.not_before ?? 0, notAfter: r.not_after ?? 0, created: r.cert_created ?? 0 },
});

const toToken = (r: RawToken): TokenRow => ({ id: r.id, name: r.name, secretHash: r.secret_hash, created: r.created, revoked: r.revoked });
const toVersion = (r: RawVersion): VersionRow => ({ app: r.app, number: r.number, bundleHash: r.bundle_hash, manifest: r.manifest, created: r.created, status: r.status, note: r.note });

export class Store {
  readonly db: Database.Database;

  private constructor(readonly dir: string, db: Database.Database, private readonly readOnly = false) {
    this.db = db;
  }

  private sealer: SecretBox | undefined;

  /** The data dir's secret box, made on first use (a read-only store never creates a key). */
  box(): SecretBox {
    this.sealer ??= SecretBox.forDataDir(this.dir, { create: !this.readOnly });
    if (this.sealer === undefined) throw new WharfError("SECRET_KEY_MISSING", `${join(this.dir, "secret.key")} does not exist: start wharf server --data ${this.dir} once to create it`, { kind: "system" });
    return this.sealer;
  }

  /** A stored private key in clear (rows written before keys were sealed are read as they are, until sealed). */
  private openKey(stored: string, context: string): string {
    return SecretBox.isSealed(stored) ? this.box().open(stored, context) : stored;
  }

  /** Seals every private key still stored in clear (written by an older Wharf), in one transaction. */
  private sealPlaintextKeys(): void {
    const certs = this.db.prepare("SELECT domain, key_pem FROM certificates WHERE key_pem NOT LIKE 'wharf-sealed:%'").all() as { domain: string; key_pem: string }[];
    const accounts = this.db.prepare("SELECT directory, email, key_pem FROM acme_accounts WHERE key_pem NOT LIKE 'wharf-sealed:%'").all() as { directory: string; email: string; key_pem: string }[];
    if (certs.length === 0 && accounts.length === 0) return;
    const box = this.box();
    this.db.transaction(() => {
      for (const c of certs) this.db.prepare("UPDATE certificates SET key_pem = ? WHERE domain = ?").run(box.seal(c.key_pem, certificateContext(c.domain)), c.domain);
      for (const a of accounts) {
        this.db.prepare("UPDATE acme_accounts SET key_pem = ? WHERE directory = ? AND email = ?").run(box.seal(a.key_pem, accountContext(a.directory, a.email)), a.directory, a.email);
      }
    }).immediate();
    // The clear text must not survive in the write-ahead log (secure_delete already zeroed the pages).
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  /** Opens (creating) the store of a data dir; the dir is created 0700. */
  static open(dir: string): Store {
    mkdirSync(join(dir, "bundles"), { recursive: true, mode: 0o700 });
    const db = new Database(join(dir, DB_FILE));
    // Before WAL mode creates the -wal and -shm files: SQLite gives them the database's mode.
    chmodSync(join(dir, DB_FILE), 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    db.pragma("foreign_keys = ON");
    // Overwrite what is deleted or replaced (a key in clear, before it was sealed) instead of leaving it in free pages.
    db.pragma("secure_delete = ON");
    migrate(db, join(dir, DB_FILE));
    const store = new Store(dir, db);
    store.sealPlaintextKeys();
    return store;
  }

  /** Opens an existing store read-only (what `wharf serve --data` does), or undefined if none. */
  static openReadOnly(dir: string): Store | undefined {
    if (!existsSync(join(dir, DB_FILE))) return undefined;
    const db = new Database(join(dir, DB_FILE), { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    return new Store(dir, db, true);
  }

  /** A getter that opens the store read-only once the data dir has one (a server may create it later). */
  static lazyReadOnly(dir: string): () => Store | undefined {
    let store: Store | undefined;
    return () => (store ??= Store.openReadOnly(dir));
  }

  close(): void {
    this.db.close();
  }

  // ── bundles ──────────────────────────────────────────────────────────────────────────────

  bundlePath(hash: string): string {
    if (!HASH.test(hash)) throw new WharfError("BUNDLE_INVALID", `${hash} is not a bundle hash`, { kind: "system" });
    return join(this.dir, "bundles", `${hash}.mjs`);
  }

  /** Writes a bundle to a temp file in bundles/ (fsynced): rename it into place with `commitBundle`. */
  stageBundle(contents: Buffer): { hash: string; tempPath: string } {
    const hash = createHash("sha256").update(contents).digest("hex");
    const tempPath = join(this.dir, "bundles", `.tmp-${hash}-${randomBytes(4).toString("hex")}.mjs`);
    const fd = openSync(tempPath, "wx", 0o600);
    try {
      writeSync(fd, contents);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { hash, tempPath };
  }

  commitBundle(staged: { hash: string; tempPath: string }): string {
    const path = this.bundlePath(staged.hash);
    renameSync(staged.tempPath, path);
    return path;
  }

  /** The path of a stored bundle after checking its contents still hash to its name. */
  verifiedBundle(hash: string): string {
    const path = this.bundlePath(hash);
    if (!existsSync(path)) throw new WharfError("BUNDLE_MISSING", `bundle ${hash.slice(0, 12)} is missing from ${join(this.dir, "bundles")}: deploy the app again`);
    const actual = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (actual !== hash) throw new WharfError("BUNDLE_CORRUPT", `bundle ${path} does not match its hash: deploy the app again`);
    return path;
  }

  /** At start: removes temp files a crash left behind, and bundles no version refers to (failed deploys). */
  sweepBundles(): void {
    const dir = join(this.dir, "bundles");
    const used = new Set((this.db.prepare("SELECT DISTINCT bundle_hash AS h FROM versions").all() as { h: string }[]).map((r) => `${r.h}.mjs`));
    for (const name of readdirSync(dir)) if (name.startsWith(".tmp-") || !used.has(name)) rmSync(join(dir, name), { force: true });
  }

  // ── apps and versions ────────────────────────────────────────────────────────────────────

  /** Records a new version as the app's active one (the previous active one is superseded), atomically. */
  activate(app: string, bundleHash: string, manifest: string, note: string): VersionRow {
    return this.db.transaction((): VersionRow => {
      const now = Date.now();
      this.db.prepare("INSERT OR IGNORE INTO apps (name, created) VALUES (?, ?)").run(app, now);
      this.db.prepare("UPDATE versions SET status = 'superseded' WHERE app = ? AND status = 'active'").run(app);
      const last = this.db.prepare("SELECT MAX(number) AS n FROM versions WHERE app = ?").get(app) as { n: number | null };
      const number = (last.n ?? 0) + 1;
      this.db.prepare("INSERT INTO versions (app, number, bundle_hash, manifest, created, note, status) VALUES (?, ?, ?, ?, ?, ?, 'active')").run(app, number, bundleHash, manifest, now, note);
      return { app, number, bundleHash, manifest, created: now, status: "active", note };
    }).immediate();
  }

  /** Marks the app's active version stopped; returns it, or undefined if none was active. */
  stopApp(app: string): VersionRow | undefined {
    return this.db.transaction(() => {
      const active = this.activeVersion(app);
      if (active !== undefined) this.db.prepare("UPDATE versions SET status = 'stopped' WHERE app = ? AND number = ?").run(app, active.number);
      return active === undefined ? undefined : { ...active, status: "stopped" as const };
    }).immediate();
  }

  apps(): string[] {
    return (this.db.prepare("SELECT name FROM apps ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  }

  activeVersion(app: string): VersionRow | undefined {
    const row = this.db.prepare("SELECT * FROM versions WHERE app = ? AND status = 'active'").get(app) as RawVersion | undefined;
    return row === undefined ? undefined : toVersion(row);
  }

  /** Every version of an app, oldest first. */
  history(app: string): VersionRow[] {
    return (this.db.prepare("SELECT * FROM versions WHERE app = ? ORDER BY number").all(app) as RawVersion[]).map(toVersion);
  }

  // ── tokens ───────────────────────────────────────────────────────────────────────────────

  addToken(row: Omit<TokenRow, "revoked">): void {
    this.db.prepare("INSERT INTO tokens (id, name, secret_hash, created, revoked) VALUES (?, ?, ?, ?, NULL)").run(row.id, row.name, row.secretHash, row.created);
  }

  /** Marks a token revoked; false if there is no such token. */
  revokeToken(id: string): boolean {
    const result = this.db.prepare("UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?").run(Date.now(), id);
    return result.changes > 0;
  }

  tokens(): TokenRow[] {
    return (this.db.prepare("SELECT * FROM tokens ORDER BY created, id").all() as RawToken[]).map(toToken);
  }

  // ── custom domains, certificates, ACME accounts ─────────────────────────────────────────────

  /** Records a domain with its certificate (replacing both if the name exists), atomically. */
  putDomain(domain: Omit<DomainRow, "lastError">, certificate: CertificateRow): void {
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO domains (name, source, acme_directory, acme_email, created, last_error) VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (name) DO UPDATE SET source = excluded.source, acme_directory = excluded.acme_directory, acme_email = excluded.acme_email, last_error = NULL")
        .run(domain.name, domain.source, domain.acmeDirectory, domain.acmeEmail, domain.created);
      this.writeCertificate(domain.name, certificate);
    }).immediate();
  }

  /** Swaps a domain's certificate and key in one transaction; false when the domain is gone. */
  replaceCertificate(name: string, certificate: CertificateRow): boolean {
    return this.db.transaction(() => {
      const found = this.db.prepare("UPDATE domains SET last_error = NULL WHERE name = ?").run(name).changes > 0;
      if (found) this.writeCertificate(name, certificate);
      return found;
    }).immediate();
  }

  setDomainError(name: string, error: string | null): void {
    this.db.prepare("UPDATE domains SET last_error = ? WHERE name = ?").run(error, name);
  }

  /** Every domain with its current certificate, by name. */
  domains(): (DomainRow & { certificate: CertificateRow | undefined })[] {
    const rows = this.db
      .prepare("SELECT d.*, c.cert_pem, c.key_pem, c.not_before, c.not_after, c.created AS cert_created FROM domains d LEFT JOIN certificates c ON c.domain = d.name ORDER BY d.name")
      .all() as RawDomain[];
    return rows.map((r) => toDomain(r, (sealed, domain) => this.openKey(sealed, certificateContext(domain))));
  }

  /** Removes a domain and its certificate; false if there is no such domain. */
  removeDomain(name: string): boolean {
    return this.db.prepare("DELETE FROM domains WHERE name = ?").run(name).changes > 0;
  }

  acmeAccount(directory: string, email: string): AcmeAccountRow | undefined {
    const row = this.db.prepare("SELECT directory, email, key_pem, url FROM acme_accounts WHERE directory = ? AND email = ?").get(directory, email) as
      | { directory: string; email: string; key_pem: string; url: string | null }
      | undefined;
    return row === undefined ? undefined : { directory: row.directory, email: row.email, keyPem: this.openKey(row.key_pem, accountContext(row.directory, row.email)), url: row.url };
  }

  saveAcmeAccount(account: AcmeAccountRow): void {
    this.db
      .prepare("INSERT INTO acme_accounts (directory, email, key_pem, url, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT (directory, email) DO UPDATE SET key_pem = excluded.key_pem, url = excluded.url")
      .run(account.directory, account.email, this.box().seal(account.keyPem, accountContext(account.directory, account.email)), account.url, Date.now());
  }

  /** Every custom domain an app holds (running or stopped), by name. */
  domainClaims(): { name: string; app: string }[] {
    return this.db.prepare("SELECT name, app FROM domain_claims ORDER BY name").all() as { name: string; app: string }[];
  }

  /** Makes `names` the custom domains `app` holds (its new version's), in one transaction. */
  setDomainClaims(app: string, names: readonly string[]): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM domain_claims WHERE app = ?").run(app);
      const insert = this.db.prepare("INSERT OR REPLACE INTO domain_claims (name, app) VALUES (?, ?)");
      for (const name of new Set(names)) insert.run(name, app);
    }).immediate();
  }

  /** Releases a custom domain an app held; false if none did. */
  releaseDomainClaim(name: string): boolean {
    return this.db.prepare("DELETE FROM domain_claims WHERE name = ?").run(name).changes > 0;
  }

  private writeCertificate(name: string, c: CertificateRow): void {
    this.db
      .prepare("INSERT OR REPLACE INTO certificates (domain, cert_pem, key_pem, not_before, not_after, created) VALUES (?, ?, ?, ?, ?, ?)")
      .run(name, c.certPem, this.box().seal(c.keyPem, certificateContext(name)), c.notBefore, c.notAfter, c.created);
  }
}

/** Brings a database up to the newest schema, one transaction per step; refuses a newer one. */
function migrate(db: Database.Database, file: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new WharfError("STORE_TOO_NEW", `${file} was written by a newer Wharf (schema ${current}, this one knows ${MIGRATIONS.length}): upgrade Wharf, or pass another --data DIR`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? "");
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

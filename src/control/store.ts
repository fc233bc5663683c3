/**
 * The control plane's state in the data dir: apps, versions and proxy-auth tokens in SQLite
 * (WAL, one transaction per change), bundles as content-addressed files written by temp file +
 * fsync + rename. A crash at any point leaves either the old state or the new one, never half.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { WharfError } from "../sdk/errors.ts";

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

const SCHEMA = `
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
`;

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

const toToken = (r: RawToken): TokenRow => ({ id: r.id, name: r.name, secretHash: r.secret_hash, created: r.created, revoked: r.revoked });
const toVersion = (r: RawVersion): VersionRow => ({ app: r.app, number: r.number, bundleHash: r.bundle_hash, manifest: r.manifest, created: r.created, status: r.status, note: r.note });

export class Store {
  readonly db: Database.Database;

  private constructor(readonly dir: string, db: Database.Database) {
    this.db = db;
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
    db.exec(SCHEMA);
    return new Store(dir, db);
  }

  /** Opens an existing store read-only (what `wharf serve --data` does), or undefined if none. */
  static openReadOnly(dir: string): Store | undefined {
    if (!existsSync(join(dir, DB_FILE))) return undefined;
    const db = new Database(join(dir, DB_FILE), { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    return new Store(dir, db);
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
}

/**
 * Function secrets of `wharf server` (issue 10.6): a named set of KEY=VALUE pairs, kept in the
 * store with its key names in clear and its values sealed (secret-box.ts, bound to the secret's
 * name), so neither the database file nor its write-ahead log holds a value in clear. Values
 * leave this module only towards the containers of a function that names the secret.
 */
import { SECRET_NAME } from "../sdk/spec.ts";
import { WharfError } from "../sdk/errors.ts";
import type { Store } from "./store.ts";

/** An environment variable name; `WHARF_` ones are the platform's. */
export const SECRET_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
const MAX_VALUE_BYTES = 64 * 1024;
const MAX_KEYS = 100;

/** What `secret list` and the admin API show: never a value. */
export interface SecretInfo {
  name: string;
  keys: string[];
  created: number;
  updated: number;
}

const context = (name: string): string => `secret ${name}`;

/** Why `name` and `values` cannot be a secret, or undefined. */
export function secretProblem(name: string, values: Readonly<Record<string, string>>): string | undefined {
  if (!SECRET_NAME.test(name)) return `secret name ${JSON.stringify(name)} is invalid: use 1..64 of letters, digits, '.', '_' and '-', starting with a letter or digit`;
  const keys = Object.keys(values);
  if (keys.length === 0) return `secret ${name} has no KEY=VALUE pair: give at least one, like wharf secret create ${name} API_KEY=…`;
  if (keys.length > MAX_KEYS) return `secret ${name} has ${keys.length} keys, over the ${MAX_KEYS} allowed: split it into several secrets`;
  for (const [key, value] of Object.entries(values)) {
    if (!SECRET_KEY.test(key)) return `key ${JSON.stringify(key)} of secret ${name} is not an environment variable name: use letters, digits and '_', not starting with a digit`;
    if (key.startsWith("WHARF_")) return `key ${key} of secret ${name} starts with WHARF_, which is the platform's own: rename it`;
    if (value.includes("\0")) return `the value of ${key} in secret ${name} contains a NUL byte, which an environment variable cannot hold`;
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) return `the value of ${key} in secret ${name} is over ${MAX_VALUE_BYTES / 1024} KiB: keep large data in a file, and its path in the secret`;
  }
  return undefined;
}

export class Secrets {
  constructor(private readonly store: Store) {}

  /** Creates a secret; with `replace`, an existing one's keys and values are replaced whole. */
  put(name: string, values: Readonly<Record<string, string>>, replace: boolean): SecretInfo {
    const problem = secretProblem(name, values);
    if (problem !== undefined) throw new WharfError("SECRET_INVALID", problem);
    const keys = Object.keys(values).sort();
    const sealed = this.store.box().seal(JSON.stringify(values), context(name));
    const now = Date.now();
    const { db } = this.store;
    return db.transaction((): SecretInfo => {
      const existing = db.prepare("SELECT created FROM secrets WHERE name = ?").get(name) as { created: number } | undefined;
      if (existing !== undefined && !replace) {
        throw new WharfError("SECRET_EXISTS", `secret ${name} already exists: pass --force to replace its keys and values, or delete it first with wharf secret delete ${name}`);
      }
      db.prepare("INSERT INTO secrets (name, keys, sealed, created, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET keys = excluded.keys, sealed = excluded.sealed, updated = excluded.updated")
        .run(name, JSON.stringify(keys), sealed, now, now);
      return { name, keys, created: existing?.created ?? now, updated: now };
    }).immediate();
  }

  list(): SecretInfo[] {
    const rows = this.store.db.prepare("SELECT name, keys, created, updated FROM secrets ORDER BY name").all() as { name: string; keys: string; created: number; updated: number }[];
    return rows.map((r) => ({ name: r.name, keys: JSON.parse(r.keys) as string[], created: r.created, updated: r.updated }));
  }

  has(name: string): boolean {
    return this.store.db.prepare("SELECT 1 FROM secrets WHERE name = ?").get(name) !== undefined;
  }

  /** False when there is no such secret. */
  remove(name: string): boolean {
    return this.store.db.prepare("DELETE FROM secrets WHERE name = ?").run(name).changes > 0;
  }

  /** The environment `names` give, in order (a later secret's key wins); throws naming a missing one. */
  environment(names: readonly string[], fn: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of names) {
      const row = this.store.db.prepare("SELECT sealed FROM secrets WHERE name = ?").get(name) as { sealed: string } | undefined;
      if (row === undefined) throw missingSecret(name, fn);
      Object.assign(env, JSON.parse(this.store.box().open(row.sealed, context(name))) as Record<string, string>);
    }
    return env;
  }
}

export function missingSecret(name: string, fn: string): WharfError {
  return new WharfError("SECRET_MISSING", `function ${fn} uses secret ${name}, which does not exist on this server: create it with wharf secret create ${name} KEY=VALUE…`);
}

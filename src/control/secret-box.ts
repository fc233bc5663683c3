/**
 * Secrets at rest (certificate and ACME account keys today, function secrets later): sealed with
 * AES-256-GCM under one 32-byte key. The key is the operator's (`WHARF_SECRET_KEY_FILE`), else
 * `secret.key` in the data dir, created 0600 on first use. A sealed value is text,
 * `wharf-sealed:v1:` + base64url(iv ‖ tag ‖ ciphertext); what it belongs to (a row's identity) is
 * bound in as associated data, so a sealed value copied to another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { WharfError } from "../sdk/errors.ts";

const PREFIX = "wharf-sealed:v1:";
const KEY_FILE = "secret.key";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private constructor(private readonly key: Buffer, readonly keyFile: string) {}

  /**
   * The box of a data dir: the operator's key file when `WHARF_SECRET_KEY_FILE` names one, else the
   * data dir's own (created unless `create` is false: then undefined when there is none yet).
   */
  static forDataDir(dir: string, options: { create?: boolean; env?: NodeJS.ProcessEnv } = {}): SecretBox | undefined {
    const given = (options.env ?? process.env)["WHARF_SECRET_KEY_FILE"];
    if (given !== undefined && given !== "") return new SecretBox(readKey(given, "WHARF_SECRET_KEY_FILE"), given);
    const file = join(dir, KEY_FILE);
    if (!existsSync(file)) {
      if (options.create === false) return undefined;
      createKeyFile(file);
    }
    return new SecretBox(readKey(file, "the data dir's key"), file);
  }

  static isSealed(text: string): boolean {
    return text.startsWith(PREFIX);
  }

  /** Seals `plain`, bound to `context` (what it belongs to, e.g. `certificate:api.example.com`). */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** Opens a value `seal` made with the same key and context; throws naming the key file otherwise. */
  open(sealed: string, context: string): string {
    if (!SecretBox.isSealed(sealed)) throw new WharfError("SECRET_UNREADABLE", `${context}: the stored value is not sealed`, { kind: "system" });
    const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw new WharfError("SECRET_UNREADABLE", `${context}: cannot decrypt it with the key in ${this.keyFile} (a different key than the one it was sealed with?): restore that key file, or set WHARF_SECRET_KEY_FILE to it`, { kind: "system" });
    }
  }
}

/** A key file: 32 bytes, raw or as base64 text; readable by its owner only. */
function readKey(file: string, what: string): Buffer {
  let info;
  try {
    info = statSync(file);
  } catch {
    throw new WharfError("SECRET_KEY_MISSING", `${what} ${file} does not exist: create one with head -c 32 /dev/urandom | base64 > ${file}; chmod 600 ${file}`);
  }
  if ((info.mode & 0o077) !== 0) throw new WharfError("SECRET_KEY_UNSAFE", `${what} ${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 ${file}`);
  const content = readFileSync(file);
  if (content.length === 32) return content;
  const decoded = Buffer.from(content.toString("utf8").trim(), "base64");
  if (decoded.length === 32) return decoded;
  throw new WharfError("SECRET_KEY_INVALID", `${what} ${file} does not hold a 32-byte key (raw, or base64): create one with head -c 32 /dev/urandom | base64 > ${file}`);
}

function createKeyFile(file: string): void {
  // O_EXCL: two processes creating it at once end with one key, the other's open fails and rereads.
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return;
    throw err;
  }
  try {
    writeSync(fd, `${randomBytes(32).toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

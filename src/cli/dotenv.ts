/**
 * `.env` files (`wharf serve`, `wharf secret create --env-file`): one `KEY=VALUE` a line, the
 * format docker compose, Node's `--env-file` and the dotenv package share. `export ` before a key
 * is allowed; `#` starts a comment (in an unquoted value, after a space); a value may be in
 * single quotes (taken as is) or double quotes (`\n`, `\t`, `\"` and `\\` unescaped), and a
 * quoted value may span lines. A line that is none of these is an error naming file and line.
 */
import { readFileSync } from "node:fs";
import { WharfError } from "../sdk/errors.ts";
import { SECRET_KEY } from "../control/secrets.ts";

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** The pairs of a .env text, in order (a later key wins); `file` names it in errors. */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = LINE.exec(line);
    const where = `${file}:${i + 1}`;
    if (m === null) throw new WharfError("ENV_FILE_INVALID", `${where} is not KEY=VALUE: write it as NAME=value (names are letters, digits and _), or comment it out with #`);
    const key = m[1] ?? "";
    let rest = m[2] ?? "";
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value ends at the first unescaped closing quote, possibly lines later.
      let body = rest.slice(1);
      let end = closingQuote(body, quote);
      while (end === -1 && i + 1 < lines.length) {
        body += `\n${lines[++i] ?? ""}`;
        end = closingQuote(body, quote);
      }
      if (end === -1) throw new WharfError("ENV_FILE_INVALID", `${where}: the value of ${key} opens a ${quote} quote that is never closed: close it`);
      const after = body.slice(end + 1);
      if (!/^\s*(#.*)?$/.test(after)) throw new WharfError("ENV_FILE_INVALID", `${where}: unexpected text after the quoted value of ${key}: put a comment after a space and #, or quote the whole value`);
      const inner = body.slice(0, end);
      values[key] = quote === "'" ? inner : inner.replace(/\\(.)/gs, (all, c: string) => ESCAPES[c] ?? all);
    } else {
      values[key] = rest.replace(/\s+#.*$/, "").trim();
    }
  }
  return values;
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === "\\") i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

/** Reads and parses a .env file; `required`: a missing file is an error (else it gives nothing). */
export function readDotenv(file: string, required: boolean): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return {};
    throw new WharfError("ENV_FILE_UNREADABLE", code === "ENOENT" ? `env file ${file} does not exist: check the path given to --env-file` : `cannot read env file ${file}: ${code ?? (err as Error).message}`);
  }
  return parseDotenv(text, file);
}

/** `KEY=VALUE` arguments (`wharf secret create NAME KEY=VALUE…`), checked. */
export function parsePairs(args: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const key = eq === -1 ? arg : arg.slice(0, eq);
    if (eq === -1 || !SECRET_KEY.test(key)) {
      throw new WharfError("SECRET_INVALID", `${JSON.stringify(eq === -1 ? arg : key)} is not KEY=VALUE: give each pair as NAME=value (names are letters, digits and _, not starting with a digit)`);
    }
    values[key] = arg.slice(eq + 1);
  }
  return values;
}

/**
 * What the CLI's commands share: the bad-usage error (exit 2), flag parsing helpers, where the
 * data dir is, and plain-text tables.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { closest } from "./help.ts";

/** Bad usage: main prints it with the command's usage lines and exits 2. */
export class UsageError extends Error {
  /** The command whose usage applies, when known. */
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

/** `--data DIR`, else `WHARF_DATA`, else `~/.wharf`. */
export function dataDir(flag: string | undefined): string {
  const env = process.env["WHARF_DATA"];
  return resolve(flag ?? (env !== undefined && env !== "" ? env : join(homedir(), ".wharf")));
}

export function portFlag(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--${name} ${value} is not a port number (0..65535; 0 picks a free one)`);
  return port;
}

export function countFlag(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} ${value} is not a count`);
  return n;
}

/** Left-aligned columns, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** `2025-01-31 14:05:09` in local time. */
export function time(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The usage error for an unknown subcommand, with the closest known one when there is one. */
export function unknownSub(command: string, sub: string, known: string[], list: string): UsageError {
  const near = closest(sub, known);
  return new UsageError(`unknown ${command} subcommand ${JSON.stringify(sub)}: ${near === undefined ? `use ${list}` : `did you mean ${near}? (${list})`}`, command);
}

/** `web function hello => http://… (also api.example.com)`: what deploy and rollback print per endpoint. */
export function endpointLine(e: { name: string; url: string; customDomains: readonly string[] }): string {
  return `web function ${e.name} => ${e.url}${e.customDomains.length === 0 ? "" : ` (also ${e.customDomains.join(", ")})`}`;
}

/**
 * All CLI output goes through here: colors only on a TTY, container logs prefixed with their
 * function's name, errors as one line.
 */
import type { Writable } from "node:stream";
import { requestLine } from "../observe/request-log.ts";
import type { RequestRecord } from "../observe/request-record.ts";

export interface Output {
  success(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line a container wrote, prefixed with its function's name. */
  log(source: string, line: string, stream: "stdout" | "stderr"): void;
  /** One line for a request the gateway answered (`wharf serve`'s request log). */
  request(record: RequestRecord): void;
}

const PALETTE = [36, 35, 33, 32, 34, 96, 95, 93];

export function createOutput(stdout: Writable & { isTTY?: boolean } = process.stdout, stderr: Writable & { isTTY?: boolean } = process.stderr): Output {
  const color = stdout.isTTY === true && process.env["NO_COLOR"] === undefined;
  const paint = (code: number, text: string): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const sources = new Map<string, number>();
  const colorOf = (source: string): number => {
    let code = sources.get(source);
    if (code === undefined) {
      code = PALETTE[sources.size % PALETTE.length] ?? 36;
      sources.set(source, code);
    }
    return code;
  };
  return {
    success: (m) => stdout.write(`${paint(32, "✓")} ${m}\n`),
    info: (m) => stdout.write(`${m}\n`),
    warn: (m) => stderr.write(`${paint(33, "warning:")} ${m}\n`),
    error: (m) => stderr.write(`${paint(31, "error:")} ${m}\n`),
    request: (record) => stdout.write(`${requestLine(record, paint)}\n`),
    log: (source, line, stream) => (stream === "stdout" ? stdout : stderr).write(`${paint(colorOf(source), `[${source}]`)} ${line}\n`),
  };
}

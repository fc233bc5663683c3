/**
 * What every command declares about itself: its usage lines, one-line summary, flags (parseArgs
 * options plus a placeholder and a help text) and examples. `wharf CMD --help`, `wharf help CMD`
 * and the command's own flag parsing all read the same declaration, so help cannot drift from
 * what is parsed; unknown commands and flags get a "did you mean" when one is close.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./command-kit.ts";

/** A parseArgs option, plus what help shows for it. */
export interface FlagSpec {
  type: "string" | "boolean";
  default?: string | boolean;
  short?: string;
  /** May be given more than once (the values in order). */
  multiple?: boolean;
  /** What follows the flag in help, e.g. `N` or `DIR`; none for booleans. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** Usage lines without the leading `wharf `, e.g. `serve FILE [flags]`. */
  usage: string[];
  /** One line for the command list of `wharf help`. */
  brief: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  examples: string[];
}

/** Parses `args` against `spec.flags`; parseArgs' own errors become usage errors naming the command. */
export function parseFlags<const F extends Record<string, FlagSpec>>(spec: { name: string; flags: F }, args: string[]) {
  try {
    return parseArgs({ args, options: spec.flags, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS")) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag !== undefined) {
      const names = Object.entries(spec.flags).flatMap(([name, f]) => [`--${name}`, ...(f.short === undefined ? [] : [`-${f.short}`])]);
      const near = closest(flag.split("=")[0] ?? flag, names);
      throw new UsageError(`unknown flag ${flag} for wharf ${spec.name}${near === undefined ? "" : `: did you mean ${near}?`}`, spec.name);
    }
    throw new UsageError(`wharf ${spec.name}: ${message.replace(/\.?$/, "")}`, spec.name);
  }
}

/** `--help` or `-h` anywhere before a `--`. */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

export function renderHelp(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags).map(([name, f]) => {
    const left = `${f.short === undefined ? "    " : `-${f.short}, `}--${name}${f.value === undefined ? "" : ` ${f.value}`}`;
    const fallback = `${f.multiple === true ? " (repeatable)" : ""}${typeof f.default === "string" ? ` (default ${f.default})` : ""}`;
    return `  ${left.padEnd(30)} ${f.help}${fallback}`;
  });
  return [
    ...spec.usage.map((u, i) => `${i === 0 ? "usage: " : "       "}wharf ${u}`),
    "",
    ...wrap(spec.summary, 96),
    "",
    "flags:",
    ...flags,
    `  ${"-h, --help".padEnd(30)} show this help`,
    "",
    spec.examples.length === 1 ? "example:" : "examples:",
    ...spec.examples.map((e) => `  ${e}`),
  ].join("\n");
}

/** The candidate within a small edit distance of `word` (transpositions count once), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = distance(word, name);
    if (d <= Math.max(1, Math.min(2, Math.floor(name.length / 3))) && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row !== undefined) row[j] = v;
    }
  }
  return at(a.length, b.length);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

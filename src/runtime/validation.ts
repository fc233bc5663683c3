/**
 * Standard Schema validation with FastAPI-shaped errors, so clients written against FastAPI's
 * 422 `{"detail":[{"loc","msg","type"}]}` parse Wharf's unchanged.
 */
import type { StandardIssue, StandardSchemaV1 } from "../sdk/standard-schema.ts";

export type Location = "body" | "query";

/** One entry of a 422 `detail` array. `input`/`ctx` only appear on `json_invalid`, as in FastAPI. */
export interface ErrorDetail {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

export type Validated = { ok: true; value: unknown } | { ok: false; errors: ErrorDetail[] };

/** Runs `schema` (sync or async) on `value`; failures become FastAPI-style error details. */
export async function validate(schema: StandardSchemaV1, value: unknown, where: Location): Promise<Validated> {
  const result = await schema["~standard"].validate(value);
  // Per the Standard Schema spec the presence of `issues` means failure; valibot also returns
  // a `value` on failure, so `issues` must be checked first.
  if (result.issues !== undefined) return { ok: false, errors: result.issues.map((issue) => toDetail(issue, where)) };
  return { ok: true, value: result.value };
}

/**
 * FastAPI's `type`: zod names it `code` ("invalid_type", "too_small"), valibot `type`
 * ("string", "min_length"); other libraries may have neither.
 */
function toDetail(issue: StandardIssue, where: Location): ErrorDetail {
  const extra = issue as StandardIssue & { code?: unknown; type?: unknown };
  const type =
    typeof extra.code === "string" ? extra.code : typeof extra.type === "string" ? extra.type : "value_error";
  const path = (issue.path ?? []).map((segment) =>
    locPart(typeof segment === "object" && segment !== null ? segment.key : segment),
  );
  return { type, loc: [where, ...path], msg: issue.message };
}

/** JSON has no symbols: a symbol key becomes its description. */
function locPart(key: PropertyKey): string | number {
  if (typeof key === "number") return key;
  if (typeof key === "symbol") return key.description ?? key.toString();
  return key;
}

/**
 * FastAPI's `json_invalid` error. Its `loc` carries the character offset of the syntax error;
 * V8 reports it only in some messages ("… at position 12"), and "Unexpected end of JSON input"
 * means the offset is the text's length (as Python reports it). Otherwise 0.
 */
export function jsonInvalid(text: string, error: unknown): ErrorDetail {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message)?.[1];
  const offset = position !== undefined ? Number(position) : /end of JSON input/i.test(message) ? text.length : 0;
  return { type: "json_invalid", loc: ["body", offset], msg: "JSON decode error", input: {}, ctx: { error: message } };
}

import { describe, expect, it } from "vitest";
import type { StandardIssue, StandardSchemaV1 } from "../sdk/standard-schema.ts";
import { jsonInvalid, validate } from "./validation.ts";

function failing(issues: StandardIssue[]): StandardSchemaV1 {
  return { "~standard": { version: 1, vendor: "test", validate: () => ({ issues }) } };
}

describe("jsonInvalid", () => {
  const offsetOf = (text: string) => {
    try {
      JSON.parse(text);
    } catch (error) {
      return jsonInvalid(text, error).loc[1];
    }
    throw new Error(`${text} parsed`);
  };

  it.each([
    ["{", 1], // "… at position 1"
    ['{"a":1} x', 8],
    ["[1,", 3], // end of input: the offset is the length, as Python reports it
    ["nope", 0], // V8 gives no position for an unexpected token
  ])("%j → offset %d", (text, offset) => {
    expect(offsetOf(text)).toBe(offset);
  });
});

describe("validate", () => {
  it("falls back to value_error, and turns symbol keys into their descriptions", async () => {
    const result = await validate(failing([{ message: "bad", path: [Symbol("sym"), { key: 2 }] }]), 1, "query");
    expect(result).toEqual({ ok: false, errors: [{ type: "value_error", loc: ["query", "sym", 2], msg: "bad" }] });
  });

  it("returns the schema's output on success", async () => {
    const schema: StandardSchemaV1 = { "~standard": { version: 1, vendor: "test", validate: async (value) => ({ value: [value] }) } };
    expect(await validate(schema, 1, "body")).toEqual({ ok: true, value: [1] });
  });
});

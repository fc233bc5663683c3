import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { StandardSchemaV1 } from "../sdk/standard-schema.ts";
import { buildOpenApi, toJsonSchema } from "./openapi.ts";

/** A Standard Schema from an unknown library, optionally with a `toJSONSchema` method. */
function foreignSchema(extra: Record<string, unknown> = {}): StandardSchemaV1 {
  return { "~standard": { version: 1, vendor: "other", validate: (value) => ({ value }) }, ...extra };
}

describe("buildOpenApi", () => {
  it("describes a zod body as the POST operation's requestBody", () => {
    const body = z.object({ name: z.string().min(1), tags: z.array(z.string()).optional() });
    const doc = buildOpenApi({ name: "create_item", method: "POST", body });
    expect(doc).toMatchObject({ openapi: "3.1.0", info: { title: "create_item", version: "0.1.0" } });
    expect(Object.keys(doc.paths as object)).toEqual(["/"]);
    expect(doc.paths).toEqual({
      "/": {
        post: {
          operationId: "create_item",
          summary: "create_item",
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/create_itemBody" } } },
          },
          responses: {
            "200": { description: "Successful Response", content: { "application/json": { schema: {} } } },
            "422": {
              description: "Validation Error",
              content: { "application/json": { schema: { $ref: "#/components/schemas/HTTPValidationError" } } },
            },
          },
        },
      },
    });
    expect(doc.components).toMatchObject({
      schemas: {
        create_itemBody: {
          type: "object",
          properties: { name: { type: "string", minLength: 1 }, tags: { type: "array", items: { type: "string" } } },
          required: ["name"],
        },
        HTTPValidationError: { properties: { detail: { items: { $ref: "#/components/schemas/ValidationError" } } } },
        ValidationError: { required: ["loc", "msg", "type"] },
      },
    });
    expect(JSON.stringify(doc)).not.toContain("$schema");
  });

  it("lists a valibot query schema's properties as query parameters", () => {
    const query = v.object({
      q: v.pipe(v.string(), v.minLength(2)),
      page: v.optional(v.string()),
      tag: v.optional(v.array(v.string())),
      sort: v.picklist(["asc", "desc"]),
    });
    const doc = buildOpenApi({ name: "search", method: "GET", query });
    const get = (doc.paths as Record<string, Record<string, Record<string, unknown>>>)["/"]?.get;
    expect(get?.parameters).toEqual([
      { name: "q", in: "query", required: true, schema: { type: "string" } },
      { name: "page", in: "query", required: false, schema: { type: "string" } },
      { name: "tag", in: "query", required: false, schema: { type: "array", items: { type: "string" } } },
      { name: "sort", in: "query", required: true, schema: { enum: ["asc", "desc"] } },
    ]);
    expect(get?.requestBody).toBeUndefined();
    expect(get?.responses).toHaveProperty("422");
  });

  it("has only a 200 response and no components without schemas", () => {
    const doc = buildOpenApi({ name: "hello", method: "DELETE" });
    const operation = (doc.paths as Record<string, Record<string, Record<string, unknown>>>)["/"]?.delete;
    expect(Object.keys(operation?.responses as object)).toEqual(["200"]);
    expect(doc.components).toBeUndefined();
  });

  it("rewrites self-references of a recursive zod schema to its component", () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(node);
      },
    });
    const doc = buildOpenApi({ name: "tree", method: "POST", body: node });
    const text = JSON.stringify(doc);
    expect(text).toContain('"items":{"$ref":"#/components/schemas/treeBody"}');
    expect(text).not.toContain('"$ref":"#"');
  });

  it("hoists named $defs into components", () => {
    const user = z.object({ id: z.string() }).meta({ id: "User" });
    const doc = buildOpenApi({ name: "pair", method: "POST", body: z.object({ a: user, b: user }) });
    expect(doc.components).toMatchObject({
      schemas: {
        User: { type: "object", properties: { id: { type: "string" } } },
        pairBody: { properties: { a: { $ref: "#/components/schemas/User" }, b: { $ref: "#/components/schemas/User" } } },
      },
    });
  });
});

describe("toJsonSchema", () => {
  it("uses zod's Standard JSON Schema, input side, with unrepresentable types as {}", () => {
    const schema = z.object({ n: z.coerce.number(), when: z.date() });
    expect(toJsonSchema(schema)).toMatchObject({
      type: "object",
      properties: { n: { type: "number" }, when: {} },
    });
  });

  it("falls back to a toJSONSchema method, then to {}", () => {
    const withMethod = foreignSchema({ toJSONSchema: () => ({ type: "string" }) });
    expect(toJsonSchema(withMethod)).toEqual({ type: "string" });
    const throwing = foreignSchema({
      toJSONSchema: () => {
        throw new Error("unsupported");
      },
    });
    expect(toJsonSchema(throwing)).toEqual({});
    expect(toJsonSchema(foreignSchema())).toEqual({});
  });

  it("reads nullable and nested valibot schemas", () => {
    const schema = v.object({ a: v.nullable(v.number()), b: v.object({ c: v.boolean() }), d: v.date() });
    expect(toJsonSchema(schema)).toEqual({
      type: "object",
      properties: {
        a: { anyOf: [{ type: "number" }, { type: "null" }] },
        b: { type: "object", properties: { c: { type: "boolean" } }, required: ["c"] },
        d: {},
      },
      required: ["a", "b", "d"],
    });
  });
});

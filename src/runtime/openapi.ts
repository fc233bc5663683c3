/**
 * The OpenAPI 3.1 document of one fastapiEndpoint, built from its Standard Schemas.
 *
 * The runtime cannot import zod or valibot (a user bundle inlines its own copy, possibly another
 * version), so JSON Schema comes only from what the schema object itself exposes:
 * - zod ≥ 4.2 (4.6 installed): the Standard JSON Schema interface,
 *   `schema["~standard"].jsonSchema.input({ target: "draft-2020-12" })`. Full fidelity.
 * - zod 4.0/4.1 and arktype 2: a `toJSONSchema()` / `toJsonSchema()` method, when present.
 * - valibot 1 (1.5 installed): neither; its converter is a separate package
 *   (@valibot/to-json-schema). Valibot schemas are plain public data (`type`, `entries`,
 *   `wrapped`, `item`, `options`), so a small structural reading covers objects, arrays,
 *   primitives, optional/nullable and picklists; refinements (min length…) are not shown.
 * - anything else (zod 3, unknown libraries): `{}`, i.e. "any value" in Swagger UI.
 */
import type { HttpMethod } from "../sdk/spec.ts";
import type { StandardSchemaV1 } from "../sdk/standard-schema.ts";

export type JsonSchema = Record<string, unknown>;

export interface OpenApiSource {
  /** The endpoint's name: the document title and the operationId. */
  name: string;
  method: HttpMethod;
  body?: StandardSchemaV1 | undefined;
  query?: StandardSchemaV1 | undefined;
}

/** Builds the document; pure, so the handler can build it once and cache the JSON text. */
export function buildOpenApi(source: OpenApiSource): JsonSchema {
  const schemas: Record<string, JsonSchema> = {};
  const base = source.name.replace(/[^A-Za-z0-9._-]/g, "_");
  const operation: JsonSchema = { operationId: source.name, summary: source.name };

  if (source.query !== undefined) {
    const query = register(schemas, `${base}Query`, toJsonSchema(source.query));
    const properties = isRecord(query.properties) ? query.properties : {};
    const required = Array.isArray(query.required) ? query.required : [];
    operation.parameters = Object.entries(properties).map(([name, schema]) => ({
      name,
      in: "query",
      required: required.includes(name),
      schema,
    }));
  }
  if (source.body !== undefined) {
    const ref = `#/components/schemas/${base}Body`;
    register(schemas, `${base}Body`, toJsonSchema(source.body));
    operation.requestBody = { required: true, content: { "application/json": { schema: { $ref: ref } } } };
  }

  const responses: JsonSchema = {
    "200": { description: "Successful Response", content: { "application/json": { schema: {} } } },
  };
  if (source.body !== undefined || source.query !== undefined) {
    Object.assign(schemas, VALIDATION_SCHEMAS);
    responses["422"] = {
      description: "Validation Error",
      content: { "application/json": { schema: { $ref: "#/components/schemas/HTTPValidationError" } } },
    };
  }
  operation.responses = responses;

  const document: JsonSchema = {
    openapi: "3.1.0",
    info: { title: source.name, version: "0.1.0" },
    paths: { "/": { [source.method.toLowerCase()]: operation } },
  };
  if (Object.keys(schemas).length > 0) document.components = { schemas };
  return document;
}

/** The JSON Schema of a Standard Schema's input, by the first means that works (see top). */
export function toJsonSchema(schema: StandardSchemaV1): JsonSchema {
  type Convert = (options: Record<string, unknown>) => unknown;
  // Shapes we probe for; every member is checked with typeof before use (other libraries differ).
  const standard = schema["~standard"] as StandardSchemaV1["~standard"] & { jsonSchema?: { input?: Convert } };
  const candidates: Array<() => unknown> = [];
  const input = standard.jsonSchema?.input;
  if (typeof input === "function") {
    // libraryOptions: zod throws on dates, maps, … unless told to write `{}` for them instead.
    candidates.push(() => input({ target: "draft-2020-12", libraryOptions: { unrepresentable: "any" } }));
  }
  const methods = schema as unknown as { toJSONSchema?: Convert; toJsonSchema?: Convert };
  for (const method of [methods.toJSONSchema, methods.toJsonSchema]) {
    if (typeof method === "function") candidates.push(() => method.call(schema, { io: "input", unrepresentable: "any" }));
  }
  if (standard.vendor === "valibot") candidates.push(() => fromValibot(schema));
  for (const candidate of candidates) {
    try {
      const result = candidate();
      if (isRecord(result)) return result;
    } catch {
      // A converter may refuse a schema (e.g. a custom refinement); try the next one, then `{}`.
    }
  }
  return {};
}

/**
 * Stores `schema` under `components.schemas[name]`. JSON Schema references are relative to the
 * schema's own root (`#` for recursion, `#/$defs/X` for named parts), which inside an OpenAPI
 * document would point at the document itself; hoist the parts and rewrite the references.
 */
function register(schemas: Record<string, JsonSchema>, name: string, schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $defs, definitions, ...rest } = schema;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isRecord(node)) return node;
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") {
        out[key] = value === "#" ? `#/components/schemas/${name}` : value.replace(/^#\/(\$defs|definitions)\//, "#/components/schemas/");
      } else {
        out[key] = rewrite(value);
      }
    }
    return out;
  };
  for (const defs of [$defs, definitions]) {
    if (!isRecord(defs)) continue;
    for (const [defName, def] of Object.entries(defs)) schemas[defName] = rewrite(def) as JsonSchema;
  }
  const result = rewrite(rest) as JsonSchema;
  schemas[name] = result;
  return result;
}

/** Reads valibot's public schema data; unknown node types become `{}` (any). */
function fromValibot(node: unknown): JsonSchema {
  if (!isRecord(node)) return {};
  switch (node.type) {
    case "string":
    case "number":
    case "boolean":
    case "null":
      return { type: node.type };
    case "bigint":
      return { type: "integer" };
    case "literal":
      return { const: node.literal };
    case "picklist":
      return Array.isArray(node.options) ? { enum: node.options } : {};
    case "array":
      return { type: "array", items: fromValibot(node.item) };
    case "nullable":
      return { anyOf: [fromValibot(node.wrapped), { type: "null" }] };
    case "optional":
    case "exact_optional":
    case "undefinedable":
      return fromValibot(node.wrapped);
    case "nullish":
      return { anyOf: [fromValibot(node.wrapped), { type: "null" }] };
    case "object":
    case "loose_object":
    case "strict_object": {
      const entries = isRecord(node.entries) ? node.entries : {};
      const properties: JsonSchema = {};
      const required: string[] = [];
      for (const [key, entry] of Object.entries(entries)) {
        properties[key] = fromValibot(entry);
        if (!(isRecord(entry) && OPTIONAL_TYPES.has(String(entry.type)))) required.push(key);
      }
      return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
    }
    default:
      return {};
  }
}

const OPTIONAL_TYPES = new Set(["optional", "exact_optional", "undefinedable", "nullish"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** FastAPI's own schemas for its 422 body, so generated clients get the same types. */
const VALIDATION_SCHEMAS: Record<string, JsonSchema> = {
  ValidationError: {
    title: "ValidationError",
    type: "object",
    properties: {
      loc: { title: "Location", type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
      msg: { title: "Message", type: "string" },
      type: { title: "Error Type", type: "string" },
    },
    required: ["loc", "msg", "type"],
  },
  HTTPValidationError: {
    title: "HTTPValidationError",
    type: "object",
    properties: { detail: { title: "Detail", type: "array", items: { $ref: "#/components/schemas/ValidationError" } } },
  },
};

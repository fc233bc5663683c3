import { describe, expect, it } from "vitest";
import { factoryProblem, factoryResultProblem, hasParameters } from "./factory-check.ts";

describe("hasParameters", () => {
  it.each([
    ["function create() { return 1; }", false],
    ["function create( /* none */ ) {}", false],
    ["() => app", false],
    ["async () => app", false],
    ["create() { return app; }", false],
    ["function create(config) {}", true],
    ["function create(x = 1) {}", true],
    ["function create(...rest) {}", true],
    ["function create({ a }) {}", true],
    ["(x = () => 1) => x", true],
    ["x => x", true],
    ["async x => x", true],
    ["create(debug = false) { return debug; }", true],
  ])("%s → %s", (source, expected) => {
    expect(hasParameters(source)).toBe(expected);
  });
});

describe("factoryProblem", () => {
  it("refuses async factories", () => {
    expect(factoryProblem("asgi", "create_asgi", async () => ({}))).toMatch(/^asgiApp can't be applied to an async function: create_asgi is async/);
  });
  it("refuses parameters, defaulted and rest ones included", () => {
    expect(factoryProblem("wsgi", "f", (x: number) => x)).toMatch(/^wsgiApp function f can't have parameters/);
    expect(factoryProblem("asgi", "f", (x = 1) => x)).toMatch(/can't have parameters/);
    expect(factoryProblem("webServer", "f", (...x: number[]) => x)).toMatch(/^webServer function f can't have parameters/);
  });
  it("accepts a synchronous factory without parameters", () => {
    expect(factoryProblem("asgi", "f", () => ({ fetch: () => new Response() }))).toBeUndefined();
    expect(factoryProblem("fastapi", "f", async (x: number) => x)).toBeUndefined();
  });
});

describe("factoryResultProblem", () => {
  it("refuses a Promise", () => {
    expect(factoryResultProblem("asgi", "f", Promise.resolve(1))).toMatch(/returned a Promise/);
  });
  it("names what was returned and what was expected", () => {
    expect(factoryResultProblem("asgi", "f", { handle: 1 })).toBe(
      "asgiApp function f returned an object with keys [handle], expected a fetch-style app: an object with fetch(request) (Hono, itty-router, H3) or a function (request) => Response",
    );
    expect(factoryResultProblem("wsgi", "f", "x")).toMatch(/returned a string \("x"\), expected a Node app/);
  });
  it("accepts the app kinds", () => {
    expect(factoryResultProblem("asgi", "f", { fetch: () => new Response() })).toBeUndefined();
    expect(factoryResultProblem("asgi", "f", () => new Response())).toBeUndefined();
    expect(factoryResultProblem("wsgi", "f", () => undefined)).toBeUndefined();
    expect(factoryResultProblem("wsgi", "f", { callback: () => () => undefined })).toBeUndefined();
    expect(factoryResultProblem("wsgi", "f", { ready: () => Promise.resolve(), routing: () => undefined })).toBeUndefined();
  });
});

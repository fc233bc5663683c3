/**
 * Bad input through the real CLI (docs/reference.md §1.3 and §4): every broken factory of examples/broken/,
 * files that do not build or load, and bad usage. A user error exits 1 with exactly one
 * `error:` line that names the function (or file) and the mistake and shows the correct form;
 * bad usage exits 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runToEnd, startServe } from "../helpers/serve.ts";

/** Runs `wharf serve FILE --port 0` to the end; returns the exit code and the one error line. */
async function serveFails(file: string): Promise<{ code: number | null; error: string; output: string }> {
  const { code, output } = await runToEnd(["serve", file, "--port", "0"]);
  const errors = output.split("\n").filter((l) => l.startsWith("error:"));
  expect(errors, `expected exactly one error line in:\n${output}`).toHaveLength(1);
  expect(output).not.toMatch(/✓ web function/);
  return { code, error: errors[0] ?? "", output };
}

/**
 * Serves a file whose only function cannot start: `wharf serve` keeps running, prints one error
 * line naming the function, and its endpoint answers 503 with the same line. Returns that line.
 */
async function serveReports(file: string, host: string, opts: { env?: Record<string, string> } = {}): Promise<string> {
  const served = await startServe(file, opts);
  try {
    const line = await served.waitFor(/^error: /);
    expect(served.lines.filter((l) => l.startsWith("error:")), served.lines.join("\n")).toHaveLength(1);
    expect(served.lines.join("\n")).toMatch(/✗ web function \S+ => http:\/\/\S+ \(failed to start\)/);
    const reported = line.slice("error: ".length).replace(/ \(its endpoints answer 503 until it starts; retrying with backoff\)$/, "");
    const answer = await served.request(host);
    expect(answer.status).toBe(503);
    expect(answer.text).toBe(`wharf: ${reported}\n`);
    return reported;
  } finally {
    await served.stop();
  }
}

const CORRECT_ASGI_FORM = "asgiApp()(function createApp() { const web = new Hono(); …; return web; })";

describe("broken factories (examples/broken/)", () => {
  it("refuses an async factory", async () => {
    const { code, error } = await serveFails("examples/broken/async-factory.ts");
    expect(code).toBe(1);
    expect(error).toContain("asgiApp can't be applied to an async function");
    expect(error).toMatch(/\bcreateAsgi\b/);
    expect(error).toContain("Make it synchronous");
    expect(error).toContain(CORRECT_ASGI_FORM);
  });

  for (const [file, kind] of [
    ["factory-params.ts", "a parameter"],
    ["factory-default-param.ts", "a defaulted parameter"],
    ["factory-rest-param.ts", "a rest parameter"],
  ] as const) {
    it(`refuses a factory with ${kind} (${file})`, async () => {
      const { code, error } = await serveFails(`examples/broken/${file}`);
      expect(code).toBe(1);
      expect(error).toMatch(/\bcreateAsgi\b/);
      expect(error).toContain("can't have parameters");
      expect(error).toContain(CORRECT_ASGI_FORM);
    });
  }

  // These two fail when a container calls the factory, not at load: `wharf serve` keeps running
  // (other functions would serve) and the function answers 503 with its reason.
  it("reports a factory that returns a Promise", async () => {
    const error = await serveReports("examples/broken/factory-returns-promise.ts", "broken-factory-returns-promise-createasgi-dev.localhost");
    expect(error).toMatch(/^createAsgi failed to start: /);
    expect(error).toContain("returned a Promise");
    expect(error).toContain("must be synchronous and return the app itself");
    expect(error).toContain(CORRECT_ASGI_FORM);
  });

  it("reports a factory that returns something other than an app, saying what and what was expected", async () => {
    const error = await serveReports("examples/broken/factory-wrong-return.ts", "broken-factory-wrong-return-createasgi-dev.localhost");
    expect(error).toMatch(/^createAsgi failed to start: /);
    expect(error).toContain("returned an object with keys [handle, routes]");
    expect(error).toContain("expected a fetch-style app: an object with fetch(request)");
    expect(error).toContain("(request) => Response");
  });
});

describe("files that do not build or load", () => {
  let dir: string;
  const write = (name: string, source: string): string => {
    const file = join(dir, name);
    writeFileSync(file, source);
    return file;
  };
  beforeAll(() => {
    // Outside the repository on purpose: the CLI resolves `wharf` itself, from any directory.
    dir = mkdtempSync(join(tmpdir(), "wharf-e2e-errors-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports a syntax error with its file, line and column", async () => {
    const file = write(
      "syntax-error.ts",
      [
        `import * as wharf from "wharf";`,
        `const app = new wharf.App("syntax-error");`,
        `export const hello = app.function()(wharf.fastapiEndpoint()(function hello() { return { a: 1 ; }));`,
        ``,
      ].join("\n"),
    );
    const { code, error } = await serveFails(file);
    expect(code).toBe(1);
    expect(error).toMatch(/syntax-error\.ts:3:\d+: Expected "}" but found ";"/);
    // The location must be a path the user can open from where they ran the CLI. Known bug
    // (src/build/bundle.ts formatBuildError, reported): esbuild's location.file is relative to
    // the bundle's absWorkingDir (the file's directory), but is made relative to process.cwd()
    // as if it were cwd-relative, so this prints "syntax-error.ts:3:…" without its directory.
    expect(error.slice("error: ".length).split(":3:")[0]).toBeOneOf([file, relative(ROOT, file)]);
  });

  it("refuses an invalid app name, naming it and the rule", async () => {
    const file = write(
      "bad-app-name.ts",
      [
        `import * as wharf from "wharf";`,
        `const app = new wharf.App("Bad Name");`,
        `export const hello = app.function()(wharf.fastapiEndpoint()(function hello() { return 1; }));`,
        ``,
      ].join("\n"),
    );
    const { code, error } = await serveFails(file);
    expect(code).toBe(1);
    expect(error).toContain(`App name "Bad Name" is invalid`);
    expect(error).toContain("1..40 characters of [a-z0-9-]");
    expect(error).toContain(`new wharf.App("my-app")`);
  });

  it("refuses a function without a web decorator, naming it and showing the wrapper", async () => {
    const file = write(
      "no-web-decorator.ts",
      [
        `import * as wharf from "wharf";`,
        `const app = new wharf.App("no-web");`,
        `export const plain = app.function()(function plain() { return 1; });`,
        ``,
      ].join("\n"),
    );
    const { code, error } = await serveFails(file);
    expect(code).toBe(1);
    expect(error).toBe("error: Function plain has no web decorator: wrap it, e.g. app.function()(wharf.fastapiEndpoint()(function plain() { … })).");
  });

  it("refuses an unnamed function, saying how to name it", async () => {
    const file = write(
      "unnamed.ts",
      [
        `import * as wharf from "wharf";`,
        `const app = new wharf.App("unnamed");`,
        `app.function()(wharf.fastapiEndpoint()(() => 1));`,
        ``,
      ].join("\n"),
    );
    const { code, error } = await serveFails(file);
    expect(code).toBe(1);
    expect(error).toContain("has no name");
    expect(error).toContain("app unnamed");
    expect(error).toContain("export const hello = app.function()");
    expect(error).toContain(`app.function({ name: "hello" })`);
  });

  it("refuses a missing file", async () => {
    const file = join(dir, "does-not-exist.ts");
    const { code, error } = await serveFails(file);
    expect(code).toBe(1);
    expect(error).toContain(`${file}: no such file`);
  });
});

describe("bad usage exits 2", () => {
  it("`serve` without FILE", async () => {
    const { code, output } = await runToEnd(["serve"]);
    expect(code).toBe(2);
    expect(output).toContain("error: wharf serve takes one FILE");
    expect(output).toContain("usage: wharf");
  });

  it("`--port abc`", async () => {
    const { code, output } = await runToEnd(["serve", "examples/hello.ts", "--port", "abc"]);
    expect(code).toBe(2);
    expect(output).toContain("error: --port abc is not a port number");
    expect(output).not.toMatch(/✓ web function/);
  });

  it("an unknown flag", async () => {
    const { code, output } = await runToEnd(["serve", "examples/hello.ts", "--prot", "8000"]);
    expect(code).toBe(2);
    expect(output).toMatch(/^error: .*--prot/m);
  });
});

describe("a start that never finishes", () => {
  it("fails after the startup deadline, naming the function and how to fix it", async () => {
    const error = await serveReports("test/fixtures/hangs.ts", "hangs-stuck-ping-dev.localhost", { env: { WHARF_STARTUP_TIMEOUT: "1" } });
    expect(error).toBe("Stuck failed to start: Stuck did not finish starting within 1s (its enter hooks and factory): make them finish sooner, or raise WHARF_STARTUP_TIMEOUT (seconds)");
  });
});

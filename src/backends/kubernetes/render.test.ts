import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EndpointManifest, FunctionManifest, Manifest, ResolvedOptions } from "../../runtime/manifest.ts";
import { dnsLabelProblem, objectName } from "./names.ts";
import { deploymentName, renderFunction, renderVersion, type RenderOptions, type VersionRef } from "./render.ts";
import { renderedProblems } from "./validate.ts";
import { renderedYaml } from "./yaml.ts";

const options: RenderOptions = { namespace: "wharf-apps", image: "wharf-runtime:0.1.0", bundleBase: "http://wharf-control.wharf-system:8001/bundles", bundleTokenSecret: "wharf-bundle-token" };
const ref: VersionRef = { app: "example", version: 3, bundleSha256: "a".repeat(64) };
const defaults: ResolvedOptions = { minContainers: 0, maxContainers: 10, bufferContainers: 0, scaledownWindow: 60, timeout: 150, maxInputs: 1, targetInputs: 1, env: {}, memory: null };

function endpoint(over: Partial<EndpointManifest> = {}): EndpointManifest {
  return { name: "hello", method: null, kind: "fastapi", label: null, customDomains: [], requiresProxyAuth: false, httpMethod: "GET", docs: false, port: null, startupTimeout: null, ...over };
}
function fn(name: string, over: Partial<FunctionManifest> = {}, opts: Partial<ResolvedOptions> = {}): FunctionManifest {
  return { name, kind: "function", options: { ...defaults, ...opts }, endpoints: [endpoint({ name })], ...over };
}

describe("object names", () => {
  it.each([
    [["wharf", "example", "hello", "v1"], "wharf-example-hello-v1"],
    [["wharf", "example", "Hello_World$", "v2"], "wharf-example-hello-world-v2"],
    [["wharf", "my-app", "MyAPI", "v10"], "wharf-my-app-myapi-v10"],
    [["wharf", "a", "__x__", "v1"], "wharf-a-x-v1"],
  ])("%j → %s", (parts, expected) => {
    expect(objectName(...parts)).toBe(expected);
  });

  it("shortens long names to 63 characters, unique per version and stable", () => {
    const long = "f".repeat(80);
    const v1 = deploymentName({ app: "example", version: 1 }, long);
    const v2 = deploymentName({ app: "example", version: 2 }, long);
    expect(v1.length).toBeLessThanOrEqual(63);
    expect(v1).not.toBe(v2);
    expect(deploymentName({ app: "example", version: 1 }, long)).toBe(v1);
    expect(dnsLabelProblem(v1)).toBeUndefined();
  });

  it.each([
    ["", "1 to 63"],
    ["a".repeat(64), "1 to 63"],
    ["Upper", "RFC 1123"],
    ["-lead", "RFC 1123"],
    ["trail-", "RFC 1123"],
    ["dot.ted", "RFC 1123"],
  ])("refuses %j (%s)", (name, words) => {
    expect(dnsLabelProblem(name)).toContain(words);
  });
});

describe("renderFunction", () => {
  it("never sets spec.replicas", () => {
    const { deployment } = renderFunction(fn("hello", {}, { minContainers: 2 }), ref, options);
    expect(deployment.spec !== undefined && "replicas" in deployment.spec).toBe(false);
  });

  it.each([
    [null, undefined, { cpu: "10m" }],
    [512, { memory: "512Mi" }, { cpu: "10m", memory: "512Mi" }],
  ])("memory %j → limits %j, requests %j", (memory, limits, requests) => {
    const { deployment } = renderFunction(fn("hello", {}, { memory }), ref, options);
    const resources = deployment.spec?.template.spec?.containers[0]?.resources;
    expect(resources?.limits).toEqual(limits);
    expect(resources?.requests).toEqual(requests);
  });

  it("labels and annotations name the app, function and version; the selector is the version's own", () => {
    const { deployment, service } = renderFunction(fn("Hello_World"), ref, options);
    expect(deployment.metadata?.labels).toMatchObject({ "app.kubernetes.io/managed-by": "wharf", "wharf.dev/app": "example", "wharf.dev/function": "Hello_World", "wharf.dev/version": "3" });
    expect(deployment.metadata?.annotations).toMatchObject({ "wharf.dev/function": "Hello_World", "wharf.dev/bundle-sha256": ref.bundleSha256 });
    expect(deployment.spec?.selector.matchLabels).toEqual(service.spec?.selector);
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(deployment.spec?.selector.matchLabels ?? {});
  });

  it("a function name that is no label value still gets a valid label, the exact name in an annotation", () => {
    const { deployment } = renderFunction(fn("$weird$"), ref, options);
    expect(deployment.metadata?.labels?.["wharf.dev/function"]).toBe("weird");
    expect(deployment.metadata?.annotations?.["wharf.dev/function"]).toBe("$weird$");
  });

  it("the agent's port moves out of a webServer's way", () => {
    const web = fn("site", { endpoints: [endpoint({ name: "site", kind: "webServer", httpMethod: null, port: 8484 })] });
    const { deployment, service } = renderFunction(web, ref, options);
    expect(deployment.spec?.template.spec?.containers[0]?.ports).toEqual([{ name: "http", containerPort: 8485 }]);
    expect(service.spec?.ports?.[0]?.port).toBe(8485);
  });

  it("user env is kept, sorted, and cannot override the platform's WHARF_ variables", () => {
    const { deployment } = renderFunction(fn("hello", {}, { env: { ZED: "z", ALPHA: "a", WHARF_BUNDLE_URL: "http://evil/" } }), ref, options);
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.slice(0, 2)).toEqual([{ name: "ALPHA", value: "a" }, { name: "ZED", value: "z" }]);
    expect(env.filter((e) => e.name === "WHARF_BUNDLE_URL")).toEqual([{ name: "WHARF_BUNDLE_URL", value: `${options.bundleBase}/${ref.bundleSha256}` }]);
  });

  it("gives in-flight requests the function's timeout to finish after preStop", () => {
    const { deployment } = renderFunction(fn("slow", {}, { timeout: 30.5 }), ref, options);
    expect(deployment.spec?.template.spec?.terminationGracePeriodSeconds).toBe(31 + 2 + 5);
    expect(deployment.spec?.template.spec?.containers[0]?.lifecycle?.preStop?.exec?.command).toEqual(["sleep", "2"]);
  });
});

describe("validation", () => {
  it("every rendered object passes the schemas and name rules", () => {
    const manifest: Manifest = { app: "example", functions: [fn("hello"), fn("x".repeat(90)), fn("MyAPI", { kind: "class" }, { memory: 256 })] };
    expect(renderedProblems(renderVersion(manifest, ref, options))).toEqual([]);
  });

  it("names what is wrong with a broken object", () => {
    const [good] = renderVersion({ app: "example", functions: [fn("hello")] }, ref, options);
    if (good === undefined) throw new Error("nothing rendered");
    const broken = structuredClone(good);
    if (broken.deployment.metadata !== undefined) broken.deployment.metadata.name = "Not_A_Name";
    if (broken.deployment.spec !== undefined) broken.deployment.spec.replicas = 1;
    const problems = renderedProblems([broken]);
    expect(problems.some((p) => p.includes('"Not_A_Name" is not an RFC 1123 label'))).toBe(true);
    expect(problems.some((p) => p.includes("spec.replicas is set"))).toBe(true);
  });
});

// Golden files: the exact YAML of an app with a function, a class with memory and env, and a
// webServer. `UPDATE_GOLDEN=1 npx vitest run src/backends/kubernetes` rewrites them after a
// deliberate change; review the diff.
describe("golden files", () => {
  const manifest: Manifest = {
    app: "example",
    functions: [
      fn("hello"),
      fn("MyAPI", { kind: "class", endpoints: [endpoint({ name: "MyAPI.health", method: "health" }), endpoint({ name: "MyAPI.process", method: "process", httpMethod: "POST" })] }, { memory: 512, env: { MODE: "prod" }, maxInputs: 10, targetInputs: 10 }),
      fn("fileServer", { endpoints: [endpoint({ name: "fileServer", kind: "webServer", httpMethod: null, port: 8000, startupTimeout: 5 })] }),
    ],
  };
  for (const rendered of renderVersion(manifest, ref, options)) {
    it(`${rendered.function}`, () => {
      const file = join(import.meta.dirname, "golden", `${rendered.function}.yaml`);
      const yaml = renderedYaml([rendered]);
      if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, yaml);
      expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      expect(yaml).toBe(readFileSync(file, "utf8"));
    });
  }
});

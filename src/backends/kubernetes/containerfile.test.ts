/**
 * The runtime image (Containerfile at the repository's top) and the rendered objects agree: the
 * entry points the Deployments run exist at the paths the image copies them to, and the image's
 * user is the uid the pods run as. (No container engine runs here: the image itself is not built
 * by the tests; the node agent of the test cluster maps /opt/wharf to this checkout instead.)
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { renderInstall } from "./install.ts";
import { renderFunction } from "./render.ts";
import type { FunctionManifest } from "../../runtime/manifest.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const file = readFileSync(join(ROOT, "Containerfile"), "utf8");
const runtimeStage = file.slice(file.lastIndexOf("\nFROM "));
const copied = [...runtimeStage.matchAll(/^COPY --from=build \/opt\/wharf\/(\S+) \.\/(\S+)$/gm)].map((m) => m[2] ?? "");

const fn = { name: "hello", kind: "function", endpoints: [], options: { env: {}, memory: null, timeout: 30 } } as unknown as FunctionManifest;
const pod = renderFunction(fn, { app: "a", version: 1, bundleSha256: "0".repeat(64) }, { namespace: "n", image: "i", bundleBase: "http://b/bundles", bundleTokenSecret: "s" });
const gateway = renderInstall({ namespace: "n", image: "i", replicas: 1 }).find((o) => o.kind === "Deployment") as { spec: { template: { spec: { containers: { command: string[] }[]; securityContext: { runAsUser: number } } } } };

describe("Containerfile", () => {
  it("builds on Node 20 and runs as the pods' non-root uid", () => {
    expect(runtimeStage).toMatch(/^\nFROM node:20-/);
    const podUid = pod.deployment.spec?.template.spec?.securityContext?.runAsUser;
    expect(podUid).toBe(10001);
    expect(gateway.spec.template.spec.securityContext.runAsUser).toBe(podUid);
    expect(runtimeStage).toMatch(new RegExp(`^USER ${podUid}:${podUid}$`, "m"));
  });

  it("copies the files the pods and the gateway run to the paths they run them from", () => {
    const commands = [pod.deployment.spec?.template.spec?.containers[0]?.command ?? [], gateway.spec.template.spec.containers[0]?.command ?? []];
    for (const command of commands) {
      const script = command[1] ?? "";
      expect(command[0]).toBe("node");
      expect(script.startsWith("/opt/wharf/")).toBe(true);
      const inRepo = relative("/opt/wharf", script);
      expect(copied.some((dir) => inRepo.startsWith(`${dir}/`)), `${script} is not in what the image copies (${copied.join(", ")})`).toBe(true);
      expect(existsSync(join(ROOT, inRepo)), `${inRepo} exists after npm run build`).toBe(true);
    }
    expect(copied).toContain("node_modules");
  });
});

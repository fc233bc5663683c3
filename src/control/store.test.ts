import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Store } from "./store.ts";

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wharf-store-"));
  store = Store.open(dir);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("versions", () => {
  it("numbers versions per app and keeps exactly one active", () => {
    expect(store.activate("a", "h1", "{}", "deploy").number).toBe(1);
    expect(store.activate("a", "h2", "{}", "deploy").number).toBe(2);
    expect(store.activate("b", "h3", "{}", "deploy").number).toBe(1);
    expect(store.history("a").map((v) => [v.number, v.status])).toEqual([[1, "superseded"], [2, "active"]]);
    expect(store.activeVersion("a")?.bundleHash).toBe("h2");
    expect(store.apps()).toEqual(["a", "b"]);
  });

  it("stops the active version and keeps numbering after it", () => {
    store.activate("a", "h1", "{}", "deploy");
    expect(store.stopApp("a")?.status).toBe("stopped");
    expect(store.stopApp("a")).toBeUndefined();
    expect(store.activeVersion("a")).toBeUndefined();
    expect(store.activate("a", "h1", "{}", "rollback to v1").number).toBe(2);
    expect(store.history("a").map((v) => v.status)).toEqual(["stopped", "active"]);
  });

  it("is read back by a read-only connection, as wharf serve --data does", () => {
    const reader = Store.lazyReadOnly(dir);
    store.addToken({ id: "wk-a", name: "n", secretHash: Buffer.alloc(32, 1), created: 1 });
    expect(reader()?.tokens().map((t) => t.id)).toEqual(["wk-a"]);
    store.revokeToken("wk-a");
    expect(reader()?.tokens()[0]?.revoked).toEqual(expect.any(Number));
    expect(Store.lazyReadOnly(join(dir, "nothing-here"))()).toBeUndefined();
  });
});

describe("bundles", () => {
  it("stages, commits under the content hash, and checks the hash when read", () => {
    const staged = store.stageBundle(Buffer.from("export default 1;\n"));
    expect(existsSync(staged.tempPath)).toBe(true);
    const path = store.commitBundle(staged);
    expect(path).toBe(join(dir, "bundles", `${staged.hash}.mjs`));
    expect(store.verifiedBundle(staged.hash)).toBe(path);
    writeFileSync(path, "export default 2;\n");
    expect(() => store.verifiedBundle(staged.hash)).toThrow(/does not match its hash: deploy the app again/);
    expect(() => store.verifiedBundle("0".repeat(64))).toThrow(/is missing/);
    expect(() => store.bundlePath("../../etc/passwd")).toThrow(/not a bundle hash/);
  });

  it("sweeps temp files a crash left behind and bundles no version refers to", () => {
    const kept = store.commitBundle(store.stageBundle(Buffer.from("kept")));
    store.activate("a", store.stageBundle(Buffer.from("kept")).hash, "{}", "deploy");
    store.commitBundle(store.stageBundle(Buffer.from("failed deploy")));
    store.stageBundle(Buffer.from("half"));
    store.sweepBundles();
    expect(readdirSync(join(dir, "bundles"))).toEqual([basename(kept)]);
  });
});

describe("tokens", () => {
  it("revokes once (the first revocation time stays) and reports unknown ids", () => {
    store.addToken({ id: "wk-a", name: "ci", secretHash: Buffer.alloc(32), created: 5 });
    expect(store.revokeToken("wk-a")).toBe(true);
    const first = store.tokens()[0]?.revoked;
    expect(store.revokeToken("wk-a")).toBe(true);
    expect(store.tokens()[0]?.revoked).toBe(first);
    expect(store.revokeToken("wk-b")).toBe(false);
  });
});

/**
 * Headless Chromium (Debian's, driven by playwright-core; never a downloaded browser) opens the
 * /docs page of a `docs: true` endpoint and sees its operation listed: Swagger UI loaded from
 * Wharf itself, with no network beyond loopback.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

describe("the /docs page in Chromium", () => {
  let served: Served;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium), set CHROMIUM_PATH, or run bash .ci/run`);
    }
    served = await startServe("examples/fastapi-options.ts");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it("lists the endpoint's operation, with every asset served locally", async () => {
    const page = await browser.newPage();
    const offHost: string[] = [];
    page.on("request", (r) => {
      const host = new URL(r.url()).hostname;
      if (!host.endsWith(".localhost") && host !== "localhost") offHost.push(r.url());
    });
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(r.url()));
    // Chromium resolves *.localhost to loopback itself, as docs/reference.md §2 promises users.
    await page.goto(`http://my-endpoint-dev.localhost:${served.port}/docs`);
    const operation = page.locator(".opblock-summary-method", { hasText: "POST" });
    await operation.first().waitFor({ timeout: 15_000 });
    await expect(page.locator(".opblock-summary-path").first().textContent()).resolves.toBe("/");
    expect(offHost).toEqual([]);
    expect(failed).toEqual([]);
  });
});

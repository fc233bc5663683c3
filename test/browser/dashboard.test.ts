/**
 * The dashboard in headless Chromium (Debian's, through playwright-core): real traffic through
 * `wharf serve`, then what the page shows — endpoints and their links, container states, counts
 * by status class, cold starts, recent requests, logs with timestamps, charts — updating live
 * over SSE, and keeping its counters across a reload of the app. Screenshots go to
 * test/artifacts/ (gitignored).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServe, type Served } from "../helpers/serve.ts";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export const ARTIFACTS = join(ROOT, "test", "artifacts");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium), set CHROMIUM_PATH, or run bash .ci/run`);
  // launch() gives Chromium a fresh, empty profile of its own (removed on close).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** Waits until the text of `selector` satisfies `test` (the page updates itself from the feed). */
export async function waitForText(page: Page, selector: string, test: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = (await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null)) ?? "";
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${selector} never matched; last text: ${JSON.stringify(last)}`);
}

describe("the dashboard of wharf serve, in Chromium", () => {
  const temp = tempDataDir("wharf-dash-");
  const file = join(temp.dir, "dashboard.ts");
  let served: Served;
  let browser: Browser;
  beforeAll(async () => {
    copyFileSync(join(ROOT, "test", "fixtures", "dashboard.ts"), file);
    served = await startServe(file, { args: ["--quiet"] });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    temp.remove();
  });

  it("shows endpoints, traffic, errors, cold starts, recent requests and logs, live, and keeps counters across a reload", async () => {
    for (let i = 0; i < 12; i++) expect((await served.request("dash-hello-dev.localhost", "/", { headers: { "x-request-id": `dash-${i}` } })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await served.request("dash-boom-dev.localhost")).status).toBe(500);
    for (let i = 0; i < 2; i++) expect((await served.request("dash-hello-dev.localhost", "/nope")).status).toBe(404);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    const offHost: string[] = [];
    page.on("request", (r) => {
      const host = new URL(r.url()).hostname;
      if (host !== "wharf.localhost") offHost.push(r.url());
    });
    const failed: string[] = [];
    page.on("requestfailed", (r) => { if (!r.url().endsWith("/events")) failed.push(r.url()); });
    await page.goto(`http://wharf.localhost:${served.port}/`);

    const hello = '[data-function="dash/hello"]';
    const boom = '[data-function="dash/boom"]';
    await waitForText(page, `${hello} [data-testid=c2xx]`, (t) => t === "12");
    expect(await page.locator(`${hello} [data-testid=c4xx]`).textContent()).toBe("2");
    expect(await page.locator(`${boom} [data-testid=c5xx]`).textContent()).toBe("3");
    expect(await page.locator(`${hello} [data-testid=requests]`).textContent()).toBe("14");
    expect(await page.locator(`${hello} [data-testid=idle]`).textContent()).toBe("1");
    expect(Number(await page.locator(`${hello} [data-testid=cold-starts]`).textContent())).toBeGreaterThanOrEqual(1);
    await expect(page.locator(`${hello} .metric`, { hasText: "cold starts:" }).textContent()).resolves.toMatch(/cold starts: c\d+ [\d.]+ ms/);
    expect(await page.locator(`${hello} [data-testid=p50]`).textContent()).toMatch(/^[\d.]+ ms$/);
    expect(await page.locator(`${hello} [data-testid=p99]`).textContent()).toMatch(/^[\d.]+ ms$/);

    // Endpoints as links, /docs only where the endpoint has docs.
    const urls = await page.locator("[data-testid=endpoint-url]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(urls.sort()).toEqual([`http://dash-boom-dev.localhost:${served.port}`, `http://dash-hello-dev.localhost:${served.port}`]);
    const docs = await page.locator("[data-testid=docs-url]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(docs).toEqual([`http://dash-hello-dev.localhost:${served.port}/docs`]);

    // Logs with timestamps, the stack trace of the failing function, recent requests.
    expect(await page.locator(`${hello} [data-testid=logs]`).textContent()).toMatch(/\d\d:\d\d:\d\d\.\d{3} hello called 12/);
    expect(await page.locator(`${boom} [data-testid=logs]`).textContent()).toContain("boom on purpose");
    const recent = await page.locator("#recent tbody").textContent();
    expect(recent).toContain(`dash-hello-dev.localhost:${served.port}/nope`);
    expect(recent).toContain("dash-11");
    expect(await page.locator("#live").textContent()).toBe("live");

    // The rate chart has a non-flat line (the requests of this test are in it).
    const points = await page.locator(`${hello} [data-testid=rate-chart] polyline`).getAttribute("points");
    const ys = (points ?? "").split(" ").map((p) => Number(p.split(",")[1]));
    expect(ys.length).toBe(300);
    expect(new Set(ys).size).toBeGreaterThan(1);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-serve.png"), fullPage: true });

    // Live: more traffic shows up without reloading the page.
    for (let i = 0; i < 5; i++) await served.request("dash-hello-dev.localhost");
    await waitForText(page, `${hello} [data-testid=c2xx]`, (t) => t === "17");

    // A reload of the app (the file changes): a new version, the same counters.
    writeFileSync(file, readFileSync(file, "utf8").replace('"MESSAGE"', '"MESSAGE 2"'));
    await waitForText(page, '[data-app="dash"] [data-testid=version]', (t) => t.includes("reloaded 1"), 30_000);
    expect((await served.request("dash-hello-dev.localhost")).json<{ message: string }>().message).toBe("MESSAGE 2");
    await waitForText(page, `${hello} [data-testid=c2xx]`, (t) => t === "18");
    expect(await page.locator(`${boom} [data-testid=c5xx]`).textContent()).toBe("3");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-serve-after-reload.png"), fullPage: true });

    expect(offHost).toEqual([]);
    expect(failed).toEqual([]);
  });
});

describe("the dashboard of wharf server, in Chromium", () => {
  const temp = tempDataDir("wharf-dash-server-");
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer(temp.dir);
    for (const _ of [1, 2]) {
      const deployed = await cli(temp.dir, ["deploy", "test/fixtures/dashboard.ts"]);
      expect(deployed.code, deployed.output).toBe(0);
    }
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.remove();
  });

  it("asks for the admin token, then shows the apps and their deploy history", async () => {
    for (let i = 0; i < 4; i++) expect((await server.request("dash-hello.localhost")).status).toBe(200);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    await page.goto(`http://wharf.localhost:${server.port}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill("#token", "wa-wrong");
    await page.click("button[type=submit]");
    await page.locator(".problem").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-server-login.png") });

    const token = (JSON.parse(readFileSync(join(temp.dir, "admin.json"), "utf8")) as { token: string }).token;
    await page.fill("#token", token);
    await page.click("button[type=submit]");
    await page.waitForURL(`http://wharf.localhost:${server.port}/`);
    await waitForText(page, '[data-app="dash"] [data-testid=version]', (t) => t === "v2");
    await waitForText(page, '[data-function="dash/hello"] [data-testid=c2xx]', (t) => t === "4");
    const history = await page.locator("#history tbody").textContent();
    expect(history).toContain("v2");
    expect(history).toContain("v1");
    expect(await page.locator("#logout").isVisible()).toBe(true);
    // The session cookie is invisible to scripts (HttpOnly).
    expect(await page.evaluate(() => document.cookie)).toBe("");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-server.png"), fullPage: true });

    await page.click("#logout button");
    await page.waitForURL(`http://wharf.localhost:${server.port}/login`);
  });
});

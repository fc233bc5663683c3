/**
 * Addresses belong to their owner (issue 13.3) on `wharf server`: a custom domain may not be the
 * platform's reserved host, a name under its base domain (those are labels), or a name another app
 * holds, exactly or through its wildcard; and an app keeps its names after it stops, until
 * `wharf domain remove` releases them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, startServer, tempDataDir, type Server } from "../helpers/server.ts";

const source = (app: string, domains: string[]): string => `
import * as wharf from "wharf";
const app = new wharf.App(${JSON.stringify(app)});
export const site = app.function()(
  wharf.fastapiEndpoint({ customDomains: ${JSON.stringify(domains)} })(function site() {
    return { app: ${JSON.stringify(app)} };
  }),
);
`;

describe("custom domains belong to the app that holds them", () => {
  const temp = tempDataDir("wharf-claims-");
  const state = join(temp.dir, "state");
  let server: Server;
  const wharf = (...args: string[]) => cli(state, args);
  const deploy = (app: string, domains: string[]) => {
    const file = join(temp.dir, `${app}.ts`);
    writeFileSync(file, source(app, domains));
    return wharf("deploy", file);
  };
  const refused = async (app: string, domains: string[], message: RegExp): Promise<void> => {
    const result = await deploy(app, domains);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(message);
  };

  beforeAll(async () => {
    server = await startServer(state);
    const guard = await deploy("guard", ["shop.example.test", "*.corp.example.test"]);
    expect(guard.code, guard.output).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  it("refuses the platform's reserved host and names under its base domain", async () => {
    await refused("squat", ["wharf.localhost"], /custom domain "wharf\.localhost" of site is the platform's reserved host/);
    await refused("squat", ["guard.localhost"], /custom domain "guard\.localhost" of site is under the platform's base domain localhost, whose names are labels/);
    await refused("squat", ["*.localhost"], /custom domain "\*\.localhost" of site is (under the platform's base domain|invalid)/);
    expect((await server.request("squat.localhost")).status).toBe(404);
  });

  it("refuses a name another app holds, exactly or through its wildcard, naming both", async () => {
    await refused("squat", ["shop.example.test"], /custom domain "shop\.example\.test" is claimed by both site of app guard and site of app squat/);
    await refused("squat", ["api.corp.example.test"], /custom domain "api\.corp\.example\.test" of site of app squat is held by app guard \(as "\*\.corp\.example\.test"\)/);
    await refused("squat", ["*.example.test"], /custom domain "\*\.example\.test" of site of app squat is held by app guard \(as "shop\.example\.test"\)/);
    expect((await server.request("shop.example.test")).json()).toEqual({ app: "guard" });
  });

  it("keeps a stopped app's names reserved until wharf domain remove releases them", async () => {
    expect((await wharf("app", "stop", "guard")).code).toBe(0);
    await refused("squat", ["shop.example.test"], /held by app guard, stopped, which keeps it until it is released/);
    expect((await server.request("shop.example.test")).status).toBe(404);

    const removed = await wharf("domain", "remove", "shop.example.test");
    expect(removed.code, removed.output).toBe(0);
    const taken = await deploy("squat", ["shop.example.test"]);
    expect(taken.code, taken.output).toBe(0);
    expect((await server.request("shop.example.test")).json()).toEqual({ app: "squat" });
    // The rest of guard's names stay its own; and it cannot take back what it released.
    await refused("squat2", ["www.corp.example.test"], /held by app guard \(as "\*\.corp\.example\.test"\), stopped/);
    await refused("guard", ["shop.example.test"], /custom domain "shop\.example\.test" is claimed by both site of app squat and site of app guard/);
  });

  it("survives a restart: the claims are in the store", async () => {
    await server.stop();
    server = await startServer(state);
    await refused("squat3", ["x.corp.example.test"], /held by app guard \(as "\*\.corp\.example\.test"\), stopped/);
  }, 60_000);
});

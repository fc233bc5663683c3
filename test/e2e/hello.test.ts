import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type Served } from "../helpers/serve.ts";

describe("wharf serve examples/hello.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/hello.ts");
  });
  afterAll(async () => {
    await served.stop();
  });

  it("prints one line per endpoint with its URL", () => {
    expect(served.lines).toContain(`✓ web function hello => http://example-hello-dev.localhost:${served.port}`);
  });

  it("answers GET / with the handler's JSON", async () => {
    const answer = await served.request("example-hello-dev.localhost");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ message: "Hello, world!" });
    expect(answer.headers["content-type"]).toMatch(/application\/json/);
  });

  it("refuses an unknown host with 404 naming it", async () => {
    const answer = await served.request("nobody.localhost");
    expect(answer.status).toBe(404);
    expect(answer.text).toBe("wharf: no web endpoint at nobody.localhost\n");
    expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
  });

  it("stops cleanly on Ctrl-C", async () => {
    expect(await served.stop("SIGINT")).toBe(0);
  });
});

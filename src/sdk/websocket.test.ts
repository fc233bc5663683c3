/**
 * `wharf.upgradeWebSocket` outside a container (no runtime bridge): ordinary requests pass
 * through, upgrade requests throw an error naming what is missing. The upgrade itself is
 * covered end to end in test/e2e/websockets.test.ts.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { upgradeWebSocket } from "./websocket.ts";

const upgradeHeaders = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };

describe("upgradeWebSocket without a Wharf runtime", () => {
  it("throws on an upgrade request, naming the missing runtime bridge", () => {
    const request = new Request("http://example.localhost/ws", { headers: upgradeHeaders });
    expect(() => upgradeWebSocket(request, {})).toThrow(/no Wharf runtime in this process \(globalThis\[Symbol\.for\("wharf\.websocket"\)\] is not set\)/);
  });

  it("answers a plain request with 426 in the direct form", async () => {
    const response = upgradeWebSocket(new Request("http://example.localhost/ws"), {});
    expect(response.status).toBe(426);
    expect(response.headers.get("upgrade")).toBe("websocket");
    expect(await response.text()).toBe("expected a WebSocket upgrade request\n");
  });

  it("as Hono middleware, passes plain requests on to the next handler", async () => {
    const web = new Hono();
    web.get("/ws", upgradeWebSocket(() => ({})), (c) => c.text("not a WebSocket"));
    const response = await web.request("/ws");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("not a WebSocket");
  });

  it("as Hono middleware, fails an upgrade request with WEBSOCKET_NO_RUNTIME (Hono answers 500)", async () => {
    const web = new Hono();
    let failure: unknown;
    web.onError((err, c) => {
      failure = err;
      return c.text("failed", 500);
    });
    web.get("/ws", upgradeWebSocket(() => ({})));
    const response = await web.request("/ws", { headers: upgradeHeaders });
    expect(response.status).toBe(500);
    expect(failure).toMatchObject({ name: "WharfError", code: "WEBSOCKET_NO_RUNTIME" });
  });
});

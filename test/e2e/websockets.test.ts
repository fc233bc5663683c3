/**
 * WebSockets through the gateway (issue: WebSockets through asgiApp, wsgiApp and webServer; an
 * open WebSocket or SSE stream is an input of its container): examples/websockets.ts (Hono, a
 * bare fetch function, Express, Koa), corner cases (test/fixtures/ws-apps.ts) and scaling
 * (test/fixtures/ws-scaling.ts). Never asserts timings beyond "still open after N seconds".
 */
import { setTimeout as sleep } from "node:timers/promises";
import { request as undiciRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startServe, type Served } from "../helpers/serve.ts";
import { functionStatus } from "../helpers/status.ts";

interface Message {
  data: Buffer;
  isBinary: boolean;
}

interface Client {
  socket: WebSocket;
  /** Headers of the server's 101 answer. */
  handshake: Record<string, string | string[] | undefined>;
  /** The next message (already received or future). */
  next(): Promise<Message>;
  /** Closes with `code` and resolves with the close code the client ends with. */
  close(code?: number, reason?: string): Promise<{ code: number; reason: string }>;
  /** Resolves when the socket closes, with the code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `ws://127.0.0.1:PORT{path}` with `Host: {host}:PORT`; rejects with the HTTP status if refused. */
async function connect(served: Served, host: string, path: string): Promise<Client> {
  const socket = new WebSocket(`ws://127.0.0.1:${served.port}${path}`, { headers: { host: `${host}:${served.port}` } });
  const received: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    const message = { data, isBinary };
    const waiter = waiters.shift();
    if (waiter === undefined) received.push(message);
    else waiter(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((done) => socket.once("close", (code: number, reason: Buffer) => done({ code, reason: reason.toString() })));
  let handshake: Client["handshake"] = {};
  await new Promise<void>((done, fail) => {
    socket.once("upgrade", (res) => (handshake = res.headers));
    socket.once("open", () => done());
    socket.once("error", fail);
    socket.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => fail(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
  });
  const next = (): Promise<Message> => {
    const message = received.shift();
    if (message !== undefined) return Promise.resolve(message);
    return new Promise((done, fail) => {
      waiters.push(done);
      void closed.then(() => fail(new Error("closed before the next message")));
    });
  };
  const close = (code = 1000, reason = ""): Promise<{ code: number; reason: string }> => {
    socket.close(code, reason);
    return closed;
  };
  return { socket, handshake, next, close, closed };
}

async function refusal(served: Served, host: string, path: string): Promise<{ status: number; body: string }> {
  const err: unknown = await connect(served, host, path).then(
    (client) => { client.socket.terminate(); throw new Error(`${host}${path} accepted the upgrade`); },
    (e: unknown) => e,
  );
  const { status, body } = err as { status?: number; body?: string };
  if (status === undefined) throw err;
  return { status, body: body ?? "" };
}

/** Echoes text, binary and a large binary message, then closes with 1000. */
async function echoRoundTrip(client: Client): Promise<void> {
  client.socket.send("hello through the gateway");
  const text = await client.next();
  expect(text.isBinary).toBe(false);
  expect(text.data.toString("utf8")).toBe("hello through the gateway");

  const bytes = Buffer.from([0, 1, 2, 253, 254, 255, 10, 13]);
  client.socket.send(bytes);
  const binary = await client.next();
  expect(binary.isBinary).toBe(true);
  expect(Buffer.compare(binary.data, bytes)).toBe(0);

  const big = Buffer.alloc(256 * 1024, 7);
  client.socket.send(big);
  const bigBack = await client.next();
  expect(bigBack.isBinary).toBe(true);
  expect(Buffer.compare(bigBack.data, big)).toBe(0);

  expect(await client.close(1000, "done")).toEqual({ code: 1000, reason: "done" });
}

describe("wharf serve examples/websockets.ts", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("examples/websockets.ts");
    await served.waitFor(/web function koaApp =>/);
  });
  afterAll(async () => {
    await served?.stop();
  });

  const apps = [
    { fn: "honoApp", greeting: "Hello from Hono!", welcome: true },
    { fn: "fetchApp", greeting: "Hello from fetch!", welcome: false },
    { fn: "expressApp", greeting: "Hello from Express!", welcome: false },
    { fn: "koaApp", greeting: "Hello from Koa!", welcome: false },
  ];

  for (const { fn, greeting, welcome } of apps) {
    const host = `websockets-${fn.toLowerCase()}-dev.localhost`;

    it(`${fn}: echoes text and binary messages through the gateway and closes cleanly`, async () => {
      const client = await connect(served, host, "/ws");
      try {
        if (welcome) expect((await client.next()).data.toString()).toBe("welcome"); // sent by onOpen
        await echoRoundTrip(client);
      } finally {
        client.socket.terminate();
      }
    });

    it(`${fn}: still answers plain HTTP`, async () => {
      const answer = await served.request(host, "/");
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(greeting);
    });
  }

  it("serves several WebSockets of one app at once, on separate containers (one input each)", async () => {
    const host = "websockets-fetchapp-dev.localhost";
    const [a, b] = await Promise.all([connect(served, host, "/ws"), connect(served, host, "/ws")]);
    try {
      a.socket.send("a");
      b.socket.send("b");
      expect((await a.next()).data.toString()).toBe("a");
      expect((await b.next()).data.toString()).toBe("b");
      const status = await functionStatus(served, "fetchApp");
      expect(status.inFlight).toBe(2);
      expect(status.containers).toBeGreaterThanOrEqual(2);
    } finally {
      a.socket.terminate();
      b.socket.terminate();
    }
  });

  it("refuses an upgrade on a path with no WebSocket route with the app's own answer", async () => {
    expect((await refusal(served, "websockets-honoapp-dev.localhost", "/nope")).status).toBe(404);
    expect((await refusal(served, "websockets-expressapp-dev.localhost", "/nope")).status).toBe(404);
  });
});

describe("WebSocket corner cases (test/fixtures/ws-apps.ts)", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/ws-apps.ts");
    await served.waitFor(/web function hello =>/);
  });
  afterAll(async () => {
    await served?.stop();
  });

  const hono = "ws-apps-hono-dev.localhost";

  it("Hono: createEvents sees the context, middleware headers reach the 101 answer", async () => {
    const client = await connect(served, hono, "/room/lobby");
    try {
      expect(client.handshake["x-app"]).toBe("ws-apps");
      expect(client.handshake["x-wharf-websocket"]).toBeUndefined();
      expect((await client.next()).data.toString()).toBe("joined lobby");
      client.socket.send("hi");
      expect((await client.next()).data.toString()).toBe("lobby: hi");
      client.socket.send(Buffer.alloc(5));
      expect((await client.next()).data.toString()).toBe("lobby: 5 bytes");
      expect(await client.close(4001, "client leaving")).toEqual({ code: 4001, reason: "client leaving" });
      // onClose saw the client's code and reason (maxInputs 10: one container serves both).
      await expect.poll(async () => (await served.request(hono, "/closes")).json<unknown[]>(), { timeout: 5000 })
        .toContainEqual({ code: 4001, reason: "client leaving" });
    } finally {
      client.socket.terminate();
    }
  });

  it("Hono: the server closes with a code and reason; a throwing handler leaves the socket open", async () => {
    const client = await connect(served, hono, "/room/x");
    try {
      await client.next(); // joined x
      client.socket.send("throw");
      client.socket.send("still there?");
      expect((await client.next()).data.toString()).toBe("x: still there?");
      client.socket.send("close-me");
      expect(await client.closed).toEqual({ code: 4000, reason: "asked to" });
    } finally {
      client.socket.terminate();
    }
    expect(await served.waitFor(/WebSocket onMessage failed/)).toBeTruthy();
  });

  it("Hono: a plain GET on the WebSocket route passes through to the next handler", async () => {
    const answer = await served.request(hono, "/room/lobby");
    expect(answer.status).toBe(404);
    expect((await served.request(hono, "/")).text).toBe("plain HTTP");
  });

  it("Fastify: upgrades are emitted on fastify.server", async () => {
    const client = await connect(served, "ws-apps-fastify-dev.localhost", "/");
    try {
      await echoRoundTrip(client);
    } finally {
      client.socket.terminate();
    }
    expect((await served.request("ws-apps-fastify-dev.localhost", "/")).text).toBe("Hello from Fastify!");
  });

  it("a Node app without an \"upgrade\" listener refuses with 404 and says why", async () => {
    const { status, body } = await refusal(served, "ws-apps-plain-dev.localhost", "/");
    expect(status).toBe(404);
    expect(body).toMatch(/^wharf: plain does not accept WebSocket upgrades: its app has no "upgrade" listener/);
    expect((await served.request("ws-apps-plain-dev.localhost", "/")).text).toBe("no WebSockets here");
  });

  it("a fastapiEndpoint refuses upgrades with 404", async () => {
    const { status, body } = await refusal(served, "ws-apps-hello-dev.localhost", "/");
    expect(status).toBe(404);
    expect(body).toMatch(/^wharf: hello is a fastapiEndpoint, which does not accept WebSocket upgrades/);
  });

  it("releases the input when a refused upgrade closes", async () => {
    await expect.poll(async () => (await functionStatus(served, "plain")).inFlight, { timeout: 5000 }).toBe(0);
    await expect.poll(async () => (await functionStatus(served, "hello")).inFlight, { timeout: 5000 }).toBe(0);
  });
});

describe("open WebSockets and SSE streams are inputs (test/fixtures/ws-scaling.ts)", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe("test/fixtures/ws-scaling.ts");
    await served.waitFor(/web function events =>/);
  });
  afterAll(async () => {
    await served?.stop();
  });

  /** Samples the function's status for `ms` (> 2 × scaledownWindow of 2 s): every sample must show one open input on one container. */
  async function holdsFor(fn: string, ms: number): Promise<void> {
    const stoppedBefore = (await functionStatus(served, fn)).totals.stopped;
    const samples: { inFlight: number; containers: number }[] = [];
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const s = await functionStatus(served, fn);
      samples.push({ inFlight: s.inFlight, containers: s.containers });
      await sleep(250);
    }
    expect(samples.length).toBeGreaterThan(5);
    expect(samples.filter((s) => s.inFlight !== 1 || s.containers !== 1)).toEqual([]);
    expect((await functionStatus(served, fn)).totals.stopped).toBe(stoppedBefore);
  }

  it("keeps the container of an open WebSocket past its scaledownWindow, then scales to zero once it closes", async () => {
    const client = await connect(served, "ws-scaling-echo-dev.localhost", "/");
    try {
      client.socket.send("before");
      expect((await client.next()).data.toString()).toBe("before");
      await holdsFor("echo", 5000);
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
      client.socket.send("after");
      expect((await client.next()).data.toString()).toBe("after");
      expect(await client.close()).toEqual({ code: 1000, reason: "" });
    } finally {
      client.socket.terminate();
    }
    await expect.poll(async () => (await functionStatus(served, "echo")).inFlight, { timeout: 5000 }).toBe(0);
    await expect.poll(async () => (await functionStatus(served, "echo")).containers, { timeout: 20_000, interval: 250 }).toBe(0);
  });

  it("keeps the container of an open SSE stream past its scaledownWindow, then scales to zero once it closes", async () => {
    const answer = await undiciRequest(`http://127.0.0.1:${served.port}/`, { headers: { host: `ws-scaling-events-dev.localhost:${served.port}` } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/event-stream");
    const chunks = answer.body[Symbol.asyncIterator]();
    let text = "";
    const readEvents = async (count: number): Promise<number[]> => {
      const events: number[] = [];
      while (events.length < count) {
        const end = text.indexOf("\n\n");
        if (end !== -1) {
          events.push(Number(/^data: (\d+)$/.exec(text.slice(0, end))?.[1]));
          text = text.slice(end + 2);
          continue;
        }
        const chunk = await chunks.next();
        if (chunk.done === true) throw new Error("the SSE stream ended");
        text += Buffer.from(chunk.value as Uint8Array).toString();
      }
      return events;
    };
    try {
      expect(await readEvents(3)).toEqual([0, 1, 2]);
      await holdsFor("events", 5000);
      // Still flowing: the events sent meanwhile, in order, and more after them.
      const later = await readEvents(5);
      expect(later).toEqual([3, 4, 5, 6, 7]);
    } finally {
      answer.body.destroy();
    }
    await expect.poll(async () => (await functionStatus(served, "events")).inFlight, { timeout: 5000 }).toBe(0);
    await expect.poll(async () => (await functionStatus(served, "events")).containers, { timeout: 20_000, interval: 250 }).toBe(0);
    expect(served.lines.some((l) => /container \S+ of events stopping \(idle\)/.test(l))).toBe(true);
  });

  it("ends a WebSocket at its function's timeout, like any request", async () => {
    const client = await connect(served, "ws-scaling-brief-dev.localhost", "/");
    await echoRoundTrip(client);
    // timeout is 2 s: the gateway closes the socket (no timing asserted, only that it ends).
    await client.closed;
    await expect.poll(async () => (await functionStatus(served, "brief")).inFlight, { timeout: 5000 }).toBe(0);
  });

  it("stops on Ctrl-C with a WebSocket still open", async () => {
    const client = await connect(served, "ws-scaling-echo-dev.localhost", "/");
    await echoRoundTrip(client);
    expect(await served.stop("SIGINT")).toBe(0);
    await client.closed;
  });
});

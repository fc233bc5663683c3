/**
 * The client side of `bench/idle-connections.mjs`, in a process of its own (its sockets and
 * their buffers must not count against, nor compete with, the bench's own process). Forked with
 * IPC: `{ open: { port, host, count } }` opens `count` connections to 127.0.0.1:port, sends one
 * request with `Host: host` on each, reads its whole answer and keeps the connection open, then
 * replies `{ opened, closedByServer }`; `{ close: true }` destroys them all and exits.
 */
import { connect } from "node:net";

const sockets = [];
let closedByServer = 0;

/** One connection: a request, its whole answer read, then left open and idle. */
function openIdle(port, host) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      data += chunk;
      const end = data.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end))?.[1];
      const whole = length !== undefined ? data.length >= end + 4 + Number(length) : data.endsWith("\r\n0\r\n\r\n");
      if (end !== -1 && whole) {
        data = "";
        socket.removeAllListeners("data");
        socket.on("close", () => closedByServer++);
        resolve(socket);
      }
    });
    socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

process.on("message", async (message) => {
  if (message.open !== undefined) {
    const { port, host, count } = message.open;
    try {
      for (let i = 0; i < count; i += 200) {
        sockets.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => openIdle(port, host)))));
      }
      process.send({ opened: sockets.length, closedByServer });
    } catch (err) {
      process.send({ error: `${err.code ?? ""} ${err.message} after ${sockets.length} connections` });
    }
  } else if (message.status === true) {
    process.send({ opened: sockets.length, closedByServer });
  } else if (message.close === true) {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});

// The ceiling for any Node path: a bare `node:http` hello world. Prints `listening PORT` when up.
import { createServer } from "node:http";

const server = createServer((_req, res) => {
  const body = JSON.stringify({ message: "Hello, world!" });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
});
// Longer than any upstream keep-alive idle (nginx), like the wharf gateway's 65 s.
server.keepAliveTimeout = 65_000;
// SOCKET=path: a Unix socket instead (the comparison for a container's own socket).
if (process.env.SOCKET !== undefined) server.listen(process.env.SOCKET, () => console.log(`listening ${process.env.SOCKET}`));
else {
  server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    const address = server.address();
    console.log(`listening ${typeof address === "object" && address !== null ? address.port : ""}`);
  });
}
process.on("SIGTERM", () => server.close(() => process.exit(0)).closeAllConnections());

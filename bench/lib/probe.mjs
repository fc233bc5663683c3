/** One GET before the load: the target must answer 200 with exactly the hello-world JSON. */
import { request } from "node:http";

export const EXPECTED = { message: "Hello, world!" };

export function probe({ port, host }) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: host === undefined ? {} : { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        let parsed;
        try {
          parsed = JSON.parse(body);
        } catch {
          // reported below
        }
        if (res.statusCode === 200 && JSON.stringify(parsed) === JSON.stringify(EXPECTED)) resolve();
        else reject(new Error(`GET / answered ${res.statusCode} ${body.slice(0, 200)}, expected 200 ${JSON.stringify(EXPECTED)}`));
      });
    });
    req.on("timeout", () => req.destroy(new Error("GET / timed out after 10 s")));
    req.on("error", reject);
    req.end();
  });
}

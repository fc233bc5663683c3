/**
 * The seed's `@modal.wsgi_app` Flask example as Express 5. WSGI's TypeScript counterpart is a
 * Node request listener, `(req, res) => void`, which is what an Express app is. The factory runs
 * once per container and must not call `listen()`: the runtime feeds requests to the app.
 *
 *   npx wharf serve examples/wsgi-express.ts
 *   curl http://wsgi-express-web-dev.localhost:8000/           # Hello from Express!
 *   curl http://wsgi-express-web-dev.localhost:8000/api/data   # {"data":[1,2,3]}
 *   curl http://express-app-dev.localhost:8000/
 */
import express, { type NextFunction, type Request, type Response } from "express";
import * as wharf from "wharf";

const app = new wharf.App("wsgi-express");

export const web = app.function()(
  wharf.wsgiApp()(function createApp() {
    const expressApp = express();

    // Middleware: runs before every route.
    expressApp.use((_req: Request, res: Response, next: NextFunction) => {
      res.setHeader("x-app", "wsgi-express");
      next();
    });
    expressApp.use(express.json());

    expressApp.get("/", (_req, res) => {
      res.send("Hello from Express!");
    });
    expressApp.get("/api/data", (_req, res) => {
      res.json({ data: [1, 2, 3] });
    });
    expressApp.post("/api/echo", (req, res) => {
      res.json({ received: req.body as unknown });
    });
    return expressApp;
  }),
);

// The seed's configuration block. A WSGI-style app gets no CORS for free: this one adds it by hand.
export const site = app.function()(
  wharf.wsgiApp({
    label: "express-app", // http://express-app.localhost:8000 (express-app-dev under `wharf serve`)
    customDomains: ["www.example.com"],
    requiresProxyAuth: false,
  })(function createApp() {
    const expressApp = express();
    expressApp.use((req: Request, res: Response, next: NextFunction) => {
      res.setHeader("access-control-allow-origin", req.get("origin") ?? "*");
      res.setHeader("vary", "Origin");
      if (req.method === "OPTIONS") {
        res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
        res.setHeader("access-control-allow-headers", req.get("access-control-request-headers") ?? "*");
        res.sendStatus(204);
        return;
      }
      next();
    });
    expressApp.get("/", (_req, res) => {
      res.send("Hello from www.example.com!");
    });
    return expressApp;
  }),
);

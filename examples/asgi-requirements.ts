/**
 * The seed's factory requirements, in their one correct form. A factory given to `asgiApp`
 * (likewise `wsgiApp` and `webServer`):
 *   - must be synchronous,
 *   - must take no parameters (defaulted and rest ones included),
 *   - must return an app (asgiApp: an object with `fetch`, or a `(request) => Response` function).
 *
 * The incorrect forms are compile errors where TypeScript can tell, and are refused when the app
 * is loaded in any case; each has its own file under examples/broken/:
 *   ✗ async function createAsgi() { … }            → broken/async-factory.ts
 *   ✗ function createAsgi(config: Config) { … }     → broken/factory-params.ts
 *   ✗ function createAsgi(debug = false) { … }     → broken/factory-default-param.ts
 *   ✗ function createAsgi(...args: string[]) { … } → broken/factory-rest-param.ts
 *   ✗ a plain function that returns a Promise      → broken/factory-returns-promise.ts
 *   ✗ a function that returns something else       → broken/factory-wrong-return.ts
 *
 *   npx wharf serve examples/asgi-requirements.ts
 *   curl http://asgi-requirements-createasgi-dev.localhost:8000/   # {"ok":true}
 */
import { Hono } from "hono";
import * as wharf from "wharf";

const app = new wharf.App("asgi-requirements");

// Built at import, as the seed's module-level `fastapi_app`; the factory hands it over.
const honoApp = new Hono();
honoApp.get("/", (c) => c.json({ ok: true }));

// ✓ Correct: synchronous, no parameters, returns the app.
export const createAsgi = app.function()(
  wharf.asgiApp()(function createAsgi() {
    return honoApp;
  }),
);

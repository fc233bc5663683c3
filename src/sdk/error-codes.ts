/**
 * Every `WharfError` code in one table (issue 7.4; fastify's `lib/errors.js` is the model): its
 * HTTP status where the admin API answers with it, whose mistake it usually is (a throw may say
 * otherwise: `system` here only where every throw of it is the platform's own failure, which the
 * CLI prints with its stack and the admin API answers 500), and what to do. docs/errors.md lists the same codes; src/sdk/error-codes.test.ts
 * keeps the table, the code that throws them and the doc in sync.
 */
export interface ErrorEntry {
  status: number;
  kind: "user" | "system";
  fix: string;
}

const user = (fix: string, status = 400): ErrorEntry => ({ status, kind: "user", fix });
const system = (fix: string): ErrorEntry => ({ status: 500, kind: "system", fix });

export const ERROR_CODES = {
  // The app file and its options (wharf serve, wharf deploy).
  FILE_NOT_FOUND: user("pass the path of an existing app file"),
  FILE_UNREADABLE: user("check the path and its permissions"),
  BUILD_FAILED: user("fix the syntax or import esbuild names, at the file and line it gives"),
  APP_INVALID: user("fix the app's top-level code (the message names the file and line)"),
  MANY_APPS: user("define one wharf.App per file"),
  NO_FUNCTIONS: user("create an App and export at least one app.function()(…) from the file"),
  FUNCTION_UNNAMED: user("export the function, name it, or pass app.function({ name })"),
  NO_WEB_DECORATOR: user("wrap the function in a web decorator, e.g. wharf.fastapiEndpoint()"),
  LEGACY_DECORATORS: user("remove \"experimentalDecorators\": true from tsconfig.json (class endpoints use standard decorators)"),
  FUNCTION_DUPLICATE: user("give one of the two functions another name (app.function({ name }))"),
  OPTION_INVALID: user("set the option within the range the message gives"),
  METHOD_INVALID: user("use one of GET, POST, PUT, PATCH, DELETE, HEAD"),
  BODY_ON_GET: user("use a query schema for GET/DELETE/HEAD, or a method that takes a body"),
  PORT_INVALID: user("give webServer an integer port 1..65535"),
  NO_WEB_METHODS: user("decorate at least one method of the class with a web decorator"),
  FACTORY_INVALID: user("make the factory synchronous and without parameters"),
  WEB_SERVER_TIMEOUT: user("start a server on the webServer port, or raise startupTimeout"),
  WEBSOCKET_NO_RUNTIME: user("serve the app with wharf serve or wharf deploy: the runtime upgrades WebSockets"),
  WEBSOCKET_UNKNOWN_REQUEST: user("pass the Request your fetch function was called with (c.req.raw in Hono), not a copy"),
  FACTORY_RESULT_INVALID: user("return the app itself (a fetch app, an Express/Koa/Fastify app) from the factory"),
  ADDRESS_INVALID: user("fix the label or custom domain the message names"),
  ADDRESS_CONFLICT: user("give one of the two endpoints another label or domain, or stop the app that holds it", 409),
  APP_NAME_INVALID: user("use 1..40 characters of [a-z0-9-]"),
  START_FAILED: user("fix what the message says about the function's start (its logs have the details)"),
  DEPLOY_FAILED: user("fix the function that did not start; the previous version keeps serving"),
  // The CLI and its flags.
  PORT_IN_USE: user("pick another --port, or stop what listens there"),
  INIT_EXISTS: user("run wharf init in an empty directory, or remove the files it names"),
  ENV_INVALID: user("set the environment variable to a whole number"),
  RENEW_CHECK_MS: user("set WHARF_RENEW_CHECK_MS to a whole number of milliseconds of at least 100"),
  ACME_CA_FILE: user("point WHARF_ACME_CA_FILE at a readable PEM file"),
  DATA_DIR_INVALID: user("pass a directory as --data"),
  DATA_DIR_BUSY: user("stop the other wharf server, or pass another --data DIR"),
  // Talking to a server (wharf deploy, app, token, domain).
  NO_SERVER: user("start wharf server with that --data DIR, or pass the data dir of a running one"),
  SERVER_DOWN: user("start the server whose data dir this is"),
  SERVER_GONE: user("run the command again; the server's log says why it closed the stream"),
  ADMIN_PROTOCOL: user("use the CLI of the same Wharf version as the server"),
  UNAUTHORIZED: user("use the admin token from the server's data dir (the CLI reads admin.json)", 401),
  NOT_FOUND: user("use an admin route the CLI knows (update the CLI)", 404),
  BAD_REQUEST: user("fix the request parameter the message names"),
  BODY_INVALID: user("send a JSON body of the shape the route expects"),
  BODY_TOO_LARGE: user("send a smaller body (bundles over the limit: split the app)", 413),
  APP_NOT_FOUND: user("see wharf app list for the apps this server has", 404),
  APP_STOPPED: user("deploy the app, or roll it back, to start it again"),
  VERSION_NOT_FOUND: user("see wharf app history NAME for its versions", 404),
  FUNCTION_NOT_FOUND: user("use one of the functions the message lists", 404),
  TOKEN_NOT_FOUND: user("see wharf token list for the tokens' ids", 404),
  // Domains and certificates.
  DOMAIN_INVALID: user("use a lowercase DNS name (a leading *. for a wildcard)"),
  DOMAIN_NOT_FOUND: user("see wharf domain list", 404),
  CERTIFICATE_INVALID: user("give a PEM chain that covers the name, with its matching key"),
  ACME_WILDCARD: user("give wildcard certificates as PEM files (--cert/--key): ACME here is HTTP-01 only"),
  ACME_DIRECTORY_INVALID: user("give the CA's https:// directory URL"),
  ACME_BUSY: user("wait for the running order (wharf domain list)", 409),
  ACME_FAILED: user("make the name resolve to this server on port 80, then add it again", 502),
  // The server's own state.
  STORE_TOO_NEW: user("run the Wharf version that wrote the data dir, or a newer one"),
  BUNDLE_INVALID: system("deploy the app again"),
  BUNDLE_MISSING: user("deploy the app again (its bundle is gone from the data dir)"),
  BUNDLE_CORRUPT: user("deploy the app again (its bundle does not match its hash)"),
  SECRET_KEY_MISSING: user("restore the data dir's secret.key, or start the server once to create it"),
  SECRET_KEY_INVALID: user("give a 32-byte key (raw, or base64)"),
  SECRET_KEY_UNSAFE: user("chmod 600 the key file"),
  SECRET_UNREADABLE: system("restore the key the values were sealed with"),
  // Secrets and environment (wharf secret, secrets: [...], .env).
  ENV_FILE_INVALID: user("write each line as NAME=value, or comment it out with #"),
  ENV_FILE_UNREADABLE: user("check the path given to --env-file"),
  SECRET_INVALID: user("use a secret name and KEY=VALUE pairs of the form the message gives"),
  SECRET_EXISTS: user("pass --force to replace it, or delete it first", 409),
  SECRET_NOT_FOUND: user("see wharf secret list", 404),
  SECRET_IN_USE: user("deploy the apps that use it without it, or stop them first", 409),
  SECRET_MISSING: user("create the secret with wharf secret create NAME KEY=VALUE…, then deploy again"),
  SECRETS_UNSUPPORTED: user("use --backend local for functions with secrets, or set the keys in the function's env"),
  RUN_DIR_UNSAFE: system("remove the directory the message names and start again"),
  CONTAINER_FAILED: system("see the function's logs; the container is replaced"),
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

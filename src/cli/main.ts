/**
 * The `wharf` command: parses flags and dispatches. Exit 0 on success, 1 with a one-line reason
 * on a user error, 2 on bad usage.
 */
import { parseArgs } from "node:util";
import { WharfError } from "../sdk/errors.ts";
import { app } from "./app.ts";
import { countFlag, dataDir, portFlag, UsageError } from "./command-kit.ts";
import { deploy } from "./deploy.ts";
import { domain } from "./domain.ts";
import { LIMIT_FLAGS, LIMIT_USAGE, parseLimitFlags } from "./limit-flags.ts";
import { createOutput, type Output } from "./output.ts";
import { serve } from "./serve.ts";
import { server } from "./server.ts";
import { token } from "./token.ts";

const USAGE = `usage: wharf <command> [options]

commands:
  serve FILE [--port 8000] [--host 127.0.0.1] [--domain localhost] [--max-queue 1000] [--data DIR]
        ${LIMIT_USAGE} [--handoff] [--quiet]
      bundle FILE, serve every endpoint on an embedded gateway, reload on save
      (proxy-auth tokens are read from DIR, as created by wharf token create);
      --handoff hands eligible client connections to the containers (docs/handoff.md);
      one line per request is printed unless --quiet
  server [--port 8000] [--admin-port 8001] [--data DIR] [--host 127.0.0.1] [--domain localhost]
         [--https-port N] [--renew-before-days 30] [--handoff]
      run the platform: a gateway for every deployed app and the admin API; state in DIR;
      with --https-port, HTTPS for every custom domain that has a certificate
  deploy FILE [--name N]                      bundle FILE and deploy it to the server
  app list | stop NAME | logs NAME [-f] | history NAME | rollback NAME [VERSION]
  token create [--name N] | list | revoke wk-…
  domain add NAME (--cert FILE --key FILE | --acme [--acme-directory URL] [--acme-email E])
       | list | remove NAME

Commands that talk to a server find it through its data dir: --data DIR, else WHARF_DATA,
else ~/.wharf.`;

/** Commands that parse their own flags (each in its own file). */
const COMMANDS = { server, deploy, app, token, domain } satisfies Record<string, (args: string[], out: Output) => Promise<void>>;

async function main(argv: string[]): Promise<number> {
  const out = createOutput();
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            port: { type: "string", default: "8000" },
            host: { type: "string", default: "127.0.0.1" },
            domain: { type: "string", default: "localhost" },
            "max-queue": { type: "string", default: "1000" },
            data: { type: "string" },
            handoff: { type: "boolean", default: false },
            quiet: { type: "boolean", short: "q", default: false },
            ...LIMIT_FLAGS,
          },
        });
        const file = positionals[0];
        if (file === undefined || positionals.length > 1) throw new UsageError("wharf serve takes one FILE");
        const port = portFlag("port", values.port);
        const maxQueue = countFlag("max-queue", values["max-queue"]);
        await serve({ file, port, host: values.host, domain: values.domain.toLowerCase(), maxQueue, data: dataDir(values.data), limits: parseLimitFlags(values), handoff: values.handoff, quiet: values.quiet }, out);
        return 0;
      }
      case "server":
      case "deploy":
      case "app":
      case "token":
      case "domain":
        await COMMANDS[command](rest, out);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out.info(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
      out.error(err.message);
      out.info(USAGE);
      return 2;
    }
    if (err instanceof WharfError && err.kind === "user") {
      out.error(err.message);
      return 1;
    }
    out.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));

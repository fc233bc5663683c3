/**
 * The `wharf` command: finds the command, answers `--help`/`help CMD`/`--version`, and maps
 * errors to exit codes. Exit 0 on success, 1 with a one-line reason on a user error, 2 on bad
 * usage. Each command parses its own flags from the spec it declares (help.ts).
 */
import { isWharfError } from "../sdk/errors.ts";
import { app, APP } from "./app.ts";
import { UsageError } from "./command-kit.ts";
import { deploy, DEPLOY } from "./deploy.ts";
import { domain, DOMAIN } from "./domain.ts";
import { closest, renderHelp, wantsHelp, type CommandSpec } from "./help.ts";
import { INIT, initCommand } from "./init.ts";
import { k8s, K8S } from "./k8s.ts";
import { createOutput, type Output } from "./output.ts";
import { secret, SECRET } from "./secret.ts";
import { SERVE, serveCommand } from "./serve.ts";
import { server, SERVER } from "./server.ts";
import { token, TOKEN } from "./token.ts";
import { wharfVersion } from "./version.ts";

interface Command {
  spec: CommandSpec;
  run(args: string[], out: Output): Promise<void> | void;
}

const COMMANDS: Record<string, Command> = {
  init: { spec: INIT, run: initCommand },
  serve: { spec: SERVE, run: serveCommand },
  server: { spec: SERVER, run: server },
  deploy: { spec: DEPLOY, run: deploy },
  app: { spec: APP, run: app },
  token: { spec: TOKEN, run: token },
  domain: { spec: DOMAIN, run: domain },
  secret: { spec: SECRET, run: secret },
  k8s: { spec: K8S, run: k8s },
};

function overview(): string {
  const rows = Object.values(COMMANDS).map(({ spec }) => `  ${spec.name.padEnd(8)} ${spec.brief}`);
  return [
    "usage: wharf <command> [flags]",
    "",
    "commands:",
    ...rows,
    "",
    "wharf help COMMAND (or wharf COMMAND --help) shows a command's flags, defaults and examples;",
    "wharf --version prints the version. Commands that talk to a server find it through its data",
    "dir: --data DIR, else WHARF_DATA, else ~/.wharf.",
  ].join("\n");
}

function lookup(name: string): Command {
  const command = COMMANDS[name];
  if (command !== undefined) return command;
  const near = closest(name, Object.keys(COMMANDS));
  throw new UsageError(`unknown command ${JSON.stringify(name)}${near === undefined ? "" : `: did you mean ${near}?`}`);
}

async function main(argv: string[]): Promise<number> {
  const out = createOutput();
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      out.info(overview());
      return 2;
    }
    if (name === "--version" || name === "-v" || name === "version") {
      out.info(wharfVersion());
      return 0;
    }
    if (name === "help" || name === "--help" || name === "-h") {
      const [topic, ...extra] = rest;
      if (extra.length > 0) throw new UsageError("wharf help takes at most one COMMAND");
      out.info(topic === undefined ? overview() : renderHelp(lookup(topic).spec));
      return 0;
    }
    const command = lookup(name);
    if (wantsHelp(rest)) {
      out.info(renderHelp(command.spec));
      return 0;
    }
    await command.run(rest, out);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      out.error(err.message);
      const spec = COMMANDS[err.command ?? name ?? ""]?.spec;
      out.info(spec === undefined ? "run wharf help for the commands" : `${spec.usage.map((u, i) => `${i === 0 ? "usage: " : "       "}wharf ${u}`).join("\n")}\n(wharf ${spec.name} --help shows every flag)`);
      return 2;
    }
    if (isWharfError(err) && err.kind === "user") {
      out.error(err.message);
      return 1;
    }
    out.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));

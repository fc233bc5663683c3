/**
 * The CLI helps: `--version`, `wharf help CMD` and `wharf CMD --help` for every command (usage,
 * flags with defaults, an example, `--json` where the command has it), and bad usage exits 2
 * with a "did you mean" when a known command, subcommand or flag is close.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runToEnd } from "../helpers/serve.ts";

const COMMANDS = ["init", "serve", "server", "deploy", "app", "token", "domain", "secret", "k8s"];
const WITH_JSON = ["deploy", "app", "token", "domain", "secret"];

describe("wharf --version", () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(await runToEnd(["--version"])).toEqual({ code: 0, output: `${version}\n` });
  });
});

describe("help", () => {
  it("wharf help lists every command", async () => {
    const { code, output } = await runToEnd(["help"]);
    expect(code).toBe(0);
    const listed = output.split("\n").filter((l) => /^ {2}[a-z0-9]+ /.test(l)).map((l) => l.trim().split(" ")[0]);
    expect(listed).toEqual(COMMANDS);
  });

  for (const command of COMMANDS) {
    it(`wharf help ${command} and wharf ${command} --help show its usage, flags with defaults and an example`, async () => {
      const viaHelp = await runToEnd(["help", command]);
      const viaFlag = await runToEnd([command, "--help"]);
      expect(viaHelp.code).toBe(0);
      expect(viaFlag).toEqual(viaHelp);
      const text = viaHelp.output;
      expect(text).toMatch(new RegExp(`^usage: wharf ${command}\\b`));
      expect(text).toContain("\nflags:\n");
      expect(text).toContain("-h, --help");
      expect(text).toMatch(new RegExp(`\\nexamples?:\\n {2}wharf ${command}\\b`));
      if (WITH_JSON.includes(command)) expect(text).toMatch(/--json +print/);
      else expect(text).not.toContain("--json");
      if (command === "serve") expect(text).toMatch(/--env-file FILE +also read KEY=VALUE pairs .*\(repeatable\)/);
      if (command === "secret") {
        expect(text).toContain("usage: wharf secret create NAME KEY=VALUE… [--env-file FILE] [--force]\n       wharf secret list\n       wharf secret delete NAME\n");
        expect(text).toMatch(/--force +create: replace an existing secret's keys and values/);
      }
      if (command === "serve" || command === "server") {
        expect(text).toMatch(/--port N +the gateway's .*\(default 8000\)/);
        expect(text).toMatch(/--max-body-mb MB .*\(default 100\)/);
      }
    });
  }

  it("wharf app logs -h shows the app help rather than calling a server", async () => {
    const { code, output } = await runToEnd(["app", "logs", "x", "-h"]);
    expect(code).toBe(0);
    expect(output).toContain("usage: wharf app list");
    expect(output).toMatch(/-f, --follow +logs: keep printing new lines/);
  });
});

describe("bad usage exits 2", () => {
  it("an unknown command, with the close one", async () => {
    const { code, output } = await runToEnd(["serv", "app.ts"]);
    expect(code).toBe(2);
    expect(output).toContain(`error: unknown command "serv": did you mean serve?`);
  });

  it("an unknown command with nothing close", async () => {
    const { code, output } = await runToEnd(["frobnicate"]);
    expect(code).toBe(2);
    expect(output).toContain(`error: unknown command "frobnicate"\n`);
    expect(output).not.toContain("did you mean");
  });

  it("an unknown flag, with the close one and the command's usage", async () => {
    const { code, output } = await runToEnd(["serve", "examples/hello.ts", "--prot", "8000"]);
    expect(code).toBe(2);
    expect(output).toContain("error: unknown flag --prot for wharf serve: did you mean --port?");
    expect(output).toContain("usage: wharf serve FILE [flags]");
    expect(output).toContain("(wharf serve --help shows every flag)");
  });

  it("an unknown subcommand, with the close one", async () => {
    const { code, output } = await runToEnd(["app", "lst"]);
    expect(code).toBe(2);
    expect(output).toContain(`error: unknown app subcommand "lst": did you mean list?`);
  });

  it("an unknown secret subcommand, with the close one", async () => {
    const { code, output } = await runToEnd(["secret", "delet", "x"]);
    expect(code).toBe(2);
    expect(output).toContain(`error: unknown secret subcommand "delet": did you mean delete? (create, list or delete)`);
    expect(output).toContain("usage: wharf secret create NAME KEY=VALUE…");
  });

  it("wharf help of an unknown command", async () => {
    const { code, output } = await runToEnd(["help", "deplyo"]);
    expect(code).toBe(2);
    expect(output).toContain(`error: unknown command "deplyo": did you mean deploy?`);
  });

  it("a flag missing its value", async () => {
    const { code, output } = await runToEnd(["deploy", "app.ts", "--name"]);
    expect(code).toBe(2);
    expect(output).toContain("error: wharf deploy: Option '--name <value>' argument missing");
  });
});

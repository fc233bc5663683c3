/**
 * `wharf app list|stop|logs|history|rollback`: the apps on a running `wharf server`.
 */
import { appsAnswer, deployAnswer, historyAnswer, okAnswer } from "../control/admin-schemas.ts";
import { AdminClient } from "./admin-client.ts";
import { dataDir, endpointLine, table, time, unknownSub, UsageError } from "./command-kit.ts";
import { parseFlags, type CommandSpec } from "./help.ts";
import type { Output } from "./output.ts";

const SUBCOMMANDS = "list, stop, logs, history or rollback";

export const APP = {
  name: "app",
  brief: "list, stop, follow logs of, and roll back the apps on the server",
  usage: ["app list", "app stop NAME", "app logs NAME [-f] [--function F] [--since 10m]", "app history NAME", "app rollback NAME [VERSION]"],
  summary: "The apps on the running wharf server: list them with their endpoints and custom domains, stop one, read or follow its logs, see its versions, roll back to an earlier one.",
  flags: {
    data: { type: "string", value: "DIR", help: "the server's data dir (default $WHARF_DATA, else ~/.wharf)" },
    json: { type: "boolean", default: false, help: "print list, history and rollback results as JSON" },
    follow: { type: "boolean", short: "f", default: false, help: "logs: keep printing new lines" },
    function: { type: "string", value: "F", help: "logs: only the lines of function F" },
    since: { type: "string", value: "WHEN", help: "logs: only lines since a duration ago (30s, 10m, 2h, 1d) or an ISO time" },
  },
  examples: ["wharf app list", "wharf app logs example -f", "wharf app logs example --function hello --since 10m", "wharf app rollback example 2"],
} as const satisfies CommandSpec;

const SUBS = ["list", "stop", "logs", "history", "rollback"];

export async function app(args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(APP, rest);
  const client = (): AdminClient => AdminClient.fromDataDir(dataDir(values.data));
  const name = (): string => {
    const n = positionals[0];
    const max = sub === "rollback" ? 2 : 1;
    if (n === undefined || positionals.length > max) throw new UsageError(`wharf app ${sub ?? ""} takes an app NAME${sub === "rollback" ? " and an optional VERSION" : ""}`);
    return n;
  };
  const path = (n: string, what: string): string => `/v1/apps/${encodeURIComponent(n)}/${what}`;
  switch (sub) {
    case "list": {
      if (positionals.length > 0) throw new UsageError("wharf app list takes no arguments");
      const { apps } = await client().call("GET", "/v1/apps", appsAnswer);
      if (values.json) return out.info(JSON.stringify(apps));
      if (apps.length === 0) return out.info("no apps: deploy one with wharf deploy FILE");
      const rows = apps.map((a) => [a.name, a.version === null ? "-" : `v${a.version}`, a.error === null ? a.state : `${a.state} (${a.error})`, a.endpoints.join(" ") || "-", a.customDomains.join(" ") || "-"]);
      out.info(table(["NAME", "VERSION", "STATE", "ENDPOINTS", "CUSTOM DOMAINS"], rows));
      return;
    }
    case "stop": {
      const n = name();
      await client().call("POST", path(n, "stop"), okAnswer, {});
      out.success(`app ${n} stopped`);
      return;
    }
    case "history": {
      const { versions } = await client().call("GET", path(name(), "history"), historyAnswer);
      if (values.json) return out.info(JSON.stringify(versions));
      out.info(table(["VERSION", "CREATED", "STATE", "NOTE"], versions.map((v) => [`v${v.number}`, time(v.created), v.status, v.note])));
      return;
    }
    case "rollback": {
      const n = name();
      const given = positionals[1];
      if (given !== undefined && !/^v?[1-9]\d*$/.test(given)) throw new UsageError(`${given} is not a version: pass a number from wharf app history ${n}, e.g. 2 or v2`);
      const body = given === undefined ? {} : { version: Number(given.replace(/^v/, "")) };
      const result = await client().call("POST", path(n, "rollback"), deployAnswer, body);
      if (values.json) return out.info(JSON.stringify(result));
      out.info(`app ${result.app}: version ${result.version} is live`);
      for (const e of result.endpoints) out.success(endpointLine(e));
      return;
    }
    case "logs": {
      const n = name();
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let partial = "";
      try {
        const query = new URLSearchParams();
        if (values.follow) query.set("follow", "1");
        if (values.function !== undefined) query.set("function", values.function);
        if (values.since !== undefined) query.set("since", String(sinceFlag(values.since)));
        const search = query.size === 0 ? "" : `?${query.toString()}`;
        await client().stream(`${path(n, "logs")}${search}`, (text) => {
          const lines = (partial + text).split("\n");
          partial = lines.pop() ?? "";
          for (const line of lines) out.info(line);
        }, abort.signal);
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
      return;
    }
    default:
      throw sub === undefined ? new UsageError(`wharf app needs a subcommand: ${SUBCOMMANDS}`) : unknownSub("app", sub, SUBS, SUBCOMMANDS);
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since 10m` (s, m, h, d) or an ISO time → ms since the epoch. */
export function sinceFlag(value: string, now = Date.now()): number {
  const m = /^(\d+)([smhd])$/.exec(value);
  if (m !== null) return now - Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
  const time = /^\d{4}-\d\d-\d\d/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) throw new UsageError(`--since ${value} is not a duration or a time: use e.g. 30s, 10m, 2h, 1d or 2026-12-02T18:00:00Z`);
  return time;
}

import { expect, it } from "vitest";
import { serverContainerEnv } from "./container-env.ts";

it("keeps PATH, HOME and NODE_ENV of the server and nothing else", () => {
  const server = { PATH: "/opt/bin:/usr/bin", HOME: "/srv/wharf", NODE_ENV: "staging", AWS_SECRET_ACCESS_KEY: "k", WHARF_SECRET_KEY_FILE: "/etc/wharf.key", WHARF_DATA: "/srv" };
  expect(serverContainerEnv(server)).toEqual({ PATH: "/opt/bin:/usr/bin", HOME: "/srv/wharf", NODE_ENV: "staging" });
});

it("fills PATH and NODE_ENV when the server has none, and leaves HOME out", () => {
  expect(serverContainerEnv({ PATH: "", HOME: "" })).toEqual({ PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NODE_ENV: "production" });
});

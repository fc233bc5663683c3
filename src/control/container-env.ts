/**
 * What a container of `wharf server` starts from (issue 10.6): `PATH`, `HOME` and `NODE_ENV` of
 * the server, nothing else of its environment (which holds the operator's credentials, the key
 * file's path, cloud tokens); a function adds its `env` and its secrets on top.
 */

/** The PATH containers get when the server has none. */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function serverContainerEnv(server: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = { PATH: server["PATH"] || DEFAULT_PATH };
  if (server["HOME"] !== undefined && server["HOME"] !== "") env["HOME"] = server["HOME"];
  // A server runs production: what Express, React and most libraries key their behaviour on.
  env["NODE_ENV"] = server["NODE_ENV"] || "production";
  return env;
}

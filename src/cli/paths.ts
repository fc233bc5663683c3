/** Where the built pieces live, relative to the built CLI (dist/cli.js). */
import { fileURLToPath } from "node:url";

export const AGENT_PATH = fileURLToPath(new URL("./agent.js", import.meta.url));
export const SDK_PATH = fileURLToPath(new URL("./sdk.js", import.meta.url));

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // e2e files each start real CLIs and containers; two at a time fits a 2-core machine.
    maxWorkers: 2,
  },
});

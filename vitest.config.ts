import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The Kubernetes tests need the test cluster (scripts/test-cluster.sh up): `npm run test:k8s`.
    exclude: ["test/k8s/**", "**/node_modules/**"],
    // Generous: a test runs a dozen CLI commands, and on a shared 2-core machine (load 10-20 when
    // several suites run) each start of the CLI can take seconds. Tests assert behaviour, not time.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // e2e files each start real CLIs and containers; two at a time fits a 2-core machine.
    maxWorkers: 2,
  },
});

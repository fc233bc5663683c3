import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The Kubernetes tests need the test cluster (scripts/test-cluster.sh up): `npm run test:k8s`.
    exclude: ["test/k8s/**", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // e2e files each start real CLIs and containers; two at a time fits a 2-core machine.
    maxWorkers: 2,
  },
});

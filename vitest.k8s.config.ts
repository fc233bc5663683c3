import { defineConfig } from "vitest/config";

// Tests against the test cluster's real API server (scripts/test-cluster.sh up; docs/kubernetes.md).
export default defineConfig({
  test: {
    include: ["test/k8s/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});

import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code, plain data, no servers) and `integration`
// (real git server, real kube-apiserver). `npm test` runs both.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["**/*.test.ts"], exclude: ["**/*.int.test.ts", "node_modules/**"] } },
      {
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**"],
          globalSetup: ["test/setup/global.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

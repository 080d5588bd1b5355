import { defineConfig } from "vitest/config";

// Deno runs vitest only with the forks/threads pools (not vmThreads/vmForks).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

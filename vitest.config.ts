import path from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;

export default defineConfig({
  resolve: {
    alias: {
      "@": root,
      // "server-only" throws outside React Server Components; the tests import server modules directly.
      "server-only": path.join(root, "test/empty-module.ts"),
    },
  },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".next/**", "e2e/**", ".lifeboat/**"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-worker.ts"],
    pool: "forks",
    // Most integration suites spend their time waiting (leases to expire, child processes, the server): three
    // files at a time on two cores fills those waits (the crash suite, split in three files, waits on worker
    // processes and recovery in every case). Each file has its own metadata database and uniquely named app
    // databases, so files do not see each other's data.
    maxWorkers: 3,
    // Suites that call start* get a worker inside the test process (lib/jobs/worker.ts); the job-engine
    // suites start real worker processes instead.
    env: { LIFEBOAT_WORKER_INPROCESS: "1" },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

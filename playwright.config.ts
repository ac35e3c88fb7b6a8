import { defineConfig } from "@playwright/test";

// e2e runs against the real demo (throwaway PostgreSQL, seeded app, releases) on its own port and dir,
// started fresh, using the production build that `npm test` makes first. Debian's Chromium, never a
// downloaded browser.
// LIFEBOAT_E2E_PORT lets several checkouts run their e2e side by side.
const PORT = Number(process.env.LIFEBOAT_E2E_PORT || 3107);

export default defineConfig({
  testDir: "e2e",
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/lib/chromium/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: {
    command: `node --import tsx --conditions=react-server scripts/demo.ts --dir .lifeboat/e2e --fresh --no-build --port ${PORT}`,
    url: `http://127.0.0.1:${PORT}/login`,
    timeout: 180_000,
    reuseExistingServer: false,
    // SIGTERM, so the demo stops its app server and PostgreSQL cluster instead of leaving them running.
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
    stdout: "pipe",
  },
});

import { expect, test } from "@playwright/test";
import { ADMIN, demoSecrets, login, metaUrl } from "./fixtures";

// Issue 9: Settings → Schedules and alarms, and the "no worker" banner.
test.describe.configure({ mode: "serial" });

async function meta<T>(fn: (sql: import("postgres").Sql) => Promise<T>): Promise<T> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(metaUrl(), { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

test("a schedule is refused with the field named, then saved, paused and deleted", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/apps/shop/settings");
  const form = page.getByRole("form", { name: "Add a schedule" });
  await form.getByLabel(/^Cron/).fill("*/5 * * * * *");
  await form.getByRole("button", { name: "Add schedule" }).click();
  await expect(form.getByText(/a seconds field would run more than once a minute/)).toBeVisible();

  await form.getByLabel(/^Cron/).fill("30 2 * * *");
  await form.getByLabel("Time zone").fill("Mars/Olympus");
  await form.getByRole("button", { name: "Add schedule" }).click();
  await expect(form.getByText(/"Mars\/Olympus" is not a time zone/)).toBeVisible();

  await form.getByLabel("Time zone").fill("Europe/Berlin");
  await form.getByLabel("Label").fill("nightly");
  await form.getByRole("button", { name: "Add schedule" }).click();
  const row = page.getByTestId("schedule-row").filter({ hasText: "nightly" });
  await expect(row).toContainText("30 2 * * *");
  await expect(row).toContainText("Europe/Berlin");
  await page.getByRole("region", { name: "Schedules and alarms" }).screenshot({ path: "test-results/screens/schedules-section.png" });
  await row.getByRole("button", { name: "Pause" }).click();
  await expect(row).toContainText("paused");
  await row.getByRole("button", { name: "Delete" }).click();
  await expect(row).toHaveCount(0);
});

test("every page says so while no worker is alive, and stops saying so when one is", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  await expect(page.getByTestId("no-worker-banner")).toHaveCount(0);
  // The demo's worker keeps running; its row is marked stopped, which is how a worker that exits says so.
  const ids = await meta((sql) => sql<{ id: number }[]>`UPDATE workers SET stopped_at = now() WHERE stopped_at IS NULL RETURNING id`);
  try {
    for (const path of ["/account", "/audit", "/apps/shop", "/apps"]) {
      await page.goto(path);
      await expect(page.getByTestId("no-worker-banner")).toContainText("npm run worker");
      if (path === "/apps") await page.screenshot({ path: "test-results/screens/no-worker-banner.png" });
    }
  } finally {
    await meta((sql) => sql`UPDATE workers SET stopped_at = NULL WHERE id = ANY(${ids.map((r) => r.id)})`);
  }
  // Still on the apps list, which polls its live state (workerAlive is part of the token): gone without a reload.
  await expect(page.getByTestId("no-worker-banner")).toHaveCount(0);
});

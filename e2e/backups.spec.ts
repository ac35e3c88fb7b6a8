import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { expect, test } from "@playwright/test";
import { ADMIN, addUser, demoSecrets, login, shopUrl } from "./fixtures";

test.describe.configure({ mode: "serial" });

test("admin registers an app, backs up with both methods, and sees it all audited", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  await expect(page.getByRole("link", { name: "shop", exact: true })).toBeVisible();

  // Register a second app from a postgres:// URL; saving connects and says what it found.
  await page.getByRole("link", { name: "Register app" }).click();
  await page.getByLabel("Name", { exact: true }).fill("inventory");
  await page.getByLabel(/Connection URL/).fill(shopUrl());
  // Settings refuse a directory that does not exist: the operator creates it first, private to Lifeboat.
  fs.mkdirSync(path.resolve(".lifeboat/e2e/apps/inventory-backups"), { recursive: true, mode: 0o700 });
  await page.getByLabel("Backups directory", { exact: true }).fill(path.resolve(".lifeboat/e2e/apps/inventory-backups"));
  await page.getByRole("button", { name: "Test connection and save" }).click();
  // shop's database is shop's: a second app on it is refused, saying why.
  await expect(page.getByText(/is already the database of shop/).first()).toBeVisible();
  await expect(page).toHaveURL(/\/apps\/new/);
  const owner = postgres(shopUrl(), { max: 1, onnotice: () => {} });
  if ((await owner`SELECT 1 FROM pg_database WHERE datname = 'inventory'`).length === 0) await owner`CREATE DATABASE inventory`;
  await owner.end();
  const inventoryUrl = shopUrl().replace(/\/shop$/, "/inventory");
  await page.getByLabel(/Connection URL/).fill(inventoryUrl);
  await page.getByRole("button", { name: "Test connection and save" }).click();
  await expect(page).toHaveURL(/\/apps\/inventory$/);
  await expect(page.getByText(/PostgreSQL/).first()).toBeVisible();
  await expect(page.getByText(inventoryUrl)).toHaveCount(0);
  expect(await page.content()).not.toContain(demoSecrets().shopPassword);

  // A dump backup: progress, then the verified row with its size, without a reload.
  await page.goto("/apps/shop");
  const form = page.getByRole("form", { name: "Back up now" });
  await form.getByLabel("Method").selectOption("dump");
  await form.getByRole("button", { name: "Back up now" }).click();
  const progress = page.getByTestId("job-progress").first();
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute("data-status", "ok", { timeout: 90_000 });
  const dumpRow = page.locator('[data-testid="backup-row"][data-method="dump"][data-status="ok"]').first();
  await expect(dumpRow).toBeVisible();
  await expect(dumpRow).toContainText(/db_backup_manual_\d+\.dump/);
  await expect(dumpRow).toContainText(/\d+(\.\d)? (kB|MB)/);

  // A clone while someone is connected: Lifeboat says how many sessions, then ends them when asked.
  const holder = postgres(shopUrl(), { max: 1, onnotice: () => {} });
  await holder`select 1`;
  await page.reload();
  await form.getByLabel("Method").selectOption("clone");
  await form.getByRole("button", { name: "Back up now" }).click();
  await expect(page.getByTestId("backup-error")).toContainText(/being accessed by \d+ other sessions?/);
  await form.getByLabel(/End the app's open sessions/).check();
  await form.getByRole("button", { name: "Back up now" }).click();
  const cloneRow = page.locator('[data-testid="backup-row"][data-method="clone"][data-status="ok"]').first();
  await expect(cloneRow).toBeVisible({ timeout: 90_000 });
  await expect(cloneRow).toContainText(/shop_backup_\d{8}_\d{6}/);
  await holder.end({ timeout: 1 }).catch(() => {});

  await page.goto("/audit");
  await expect(page.getByText("backups.start").first()).toBeVisible();
  await expect(page.getByText("apps.create").first()).toBeVisible();
  expect(await page.content()).not.toContain(demoSecrets().shopPassword);
});

test("a dump whose file was moved away: file missing, the banner says so, Verify of the file put back makes it ok", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  // inventory (registered above) has no backup yet: "no good backup".
  await page.goto("/apps/inventory");
  const form = page.getByRole("form", { name: "Back up now" });
  await form.getByLabel("Method").selectOption("dump");
  await form.getByRole("button", { name: "Back up now" }).click();
  const row = page.locator('[data-testid="backup-row"][data-method="dump"]').first();
  await expect(row).toHaveAttribute("data-status", "ok", { timeout: 90_000 });
  const name = (await row.getAttribute("data-name"))!;
  const dir = path.resolve(".lifeboat/e2e/apps/inventory-backups");
  const away = path.resolve(`.lifeboat/e2e/${name}.away`);
  fs.renameSync(path.join(dir, name), away);
  try {
    await page.getByRole("button", { name: "Refresh", exact: true }).click();
    await expect(row).toHaveAttribute("data-status", "missing");
    await expect(row.getByTestId("missing-hint")).toContainText(`Put ${name} into ${dir} and press Verify`);
    await expect(page.getByTestId("missing-newer")).toContainText(`A newer backup's file is missing from ${dir}: put it back and press Verify.`);
  } finally {
    fs.renameSync(away, path.join(dir, name));
  }
  await row.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(row).toHaveAttribute("data-status", "ok", { timeout: 60_000 });
  await expect(page.getByTestId("missing-newer")).toHaveCount(0);
});

test("a viewer sees no mutating buttons and a forged call is refused", async ({ page }) => {
  const password = addUser("viewer@example.com", "viewer");
  await login(page, "viewer@example.com", password);
  await page.goto("/apps/shop");
  await expect(page.getByRole("table", { name: "Backups" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Back up now" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Delete/ })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Register app" })).toHaveCount(0);

  const forged = await page.request.post("/api/apps/shop/backups", { data: { method: "dump" } });
  expect(forged.status()).toBe(403);
  const body = await forged.json();
  expect(body.status).toBe("error");
});

import { expect, test, type Page } from "@playwright/test";
import { ADMIN, addUser, demoAppState, demoSecrets, login, setBanner } from "./fixtures";

test.describe.configure({ mode: "serial" });

async function confirmInDialog(page: Page, shot?: string) {
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("region", { name: "Plan" }).locator("li").first()).toBeVisible();
  if (shot) await page.screenshot({ path: `test-results/${shot}.png`, fullPage: true });
  await dialog.getByLabel("Type the app name to confirm").fill("shop");
  await dialog.getByTestId("confirm-change").click();
  await expect(dialog.getByTestId("job-progress")).toHaveAttribute("data-status", /ok|failed/, { timeout: 120_000 });
  return dialog.getByTestId("job-progress").getAttribute("data-status");
}

test("code-only rollback, then code+database rollback, then undo — the demo app follows", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  const before = await demoAppState();

  // Code only: the previous release, database untouched.
  await page.goto("/apps/shop/releases");
  await page.getByRole("button", { name: "Roll back…" }).click();
  expect(await confirmInDialog(page, "rollback-dialog-code-only")).toBe("ok");
  const afterCode = await demoAppState();
  expect(afterCode.release).not.toBe(before.release);
  expect(afterCode.banner).toBe(before.banner);

  // Back to the newest release, take a backup, then a "bad migration" changes the data.
  await page.goto("/apps/shop/releases");
  await page.locator('[data-testid="release-row"]').first().getByRole("button", { name: "Switch to this release" }).click();
  expect(await confirmInDialog(page)).toBe("ok");
  expect((await demoAppState()).release).toBe(before.release);
  await page.goto("/apps/shop");
  const okDumps = page.locator('[data-testid="backup-row"][data-method="dump"][data-status="ok"]');
  const dumpsBefore = await okDumps.count();
  const form = page.getByRole("form", { name: "Back up now" });
  await form.getByLabel("Method").selectOption("dump");
  await form.getByRole("button", { name: "Back up now" }).click();
  await expect(okDumps).toHaveCount(dumpsBefore + 1, { timeout: 90_000 });
  await setBanner("BROKEN by a bad release");
  expect((await demoAppState()).banner).toBe("BROKEN by a bad release");

  // Code + database: the dialog shows the data-loss window; afterwards the old release serves the old data.
  await page.goto("/apps/shop");
  await page.getByRole("button", { name: "Roll back…" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Restore database").check();
  const backupSelect = dialog.getByLabel("Backup to restore");
  const newestDump = await backupSelect.locator("option").filter({ hasText: "dump" }).first().getAttribute("value");
  await backupSelect.selectOption(newestDump!);
  await expect(dialog.getByTestId("data-loss")).toBeVisible();
  expect(await confirmInDialog(page, "rollback-dialog-with-database")).toBe("ok");
  const afterDb = await demoAppState();
  expect(afterDb.release).not.toBe(before.release);
  expect(afterDb.banner).toBe(before.banner);

  // Undo puts back the database and the release that were live before the rollback.
  await page.goto("/apps/shop");
  await page.getByTestId("last-change").getByRole("button", { name: /Undo/ }).click();
  expect(await confirmInDialog(page)).toBe("ok");
  const undone = await demoAppState();
  expect(undone.release).toBe(before.release);
  expect(undone.banner).toBe("BROKEN by a bad release");
  await page.goto("/apps/shop");
  await expect(page.getByText(/pre_rollback/).first()).toBeVisible();
});

for (const role of ["viewer", "operator"] as const) {
  test(`${role === "operator" ? "an" : "a"} ${role} cannot roll back`, async ({ page }) => {
    const email = `${role}-rb@example.com`;
    const password = addUser(email, role);
    await login(page, email, password);
    await page.goto("/apps/shop/releases");
    await expect(page.getByRole("table", { name: "Releases" })).toBeVisible();
    // Shown, but disabled with the reason (lib/auth/capabilities.ts), never hidden.
    const rollBack = page.getByRole("button", { name: "Roll back…" });
    await expect(rollBack).toBeDisabled();
    await expect(rollBack).toHaveAttribute("title", /Needs the .+ role/);
    const switches = page.getByRole("button", { name: "Switch to this release" });
    await expect(switches.first()).toBeVisible();
    for (const b of await switches.all()) await expect(b).toBeDisabled();
    const forged = await page.request.post("/api/apps/shop/rollback", { data: { confirm: "shop" } });
    expect(forged.status()).toBe(403);
  });
}

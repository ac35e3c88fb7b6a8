import { expect, test, type Page } from "@playwright/test";
import { ADMIN, demoSecrets, login } from "./fixtures";

// Issue 8: every page works on a 390 px phone (no sideways page scroll, Sign out visible, wide tables scroll
// inside their box with a hint) and dialogs work from the keyboard. Screenshots of every page at both
// widths land in test-results/screens/ to be looked at.

test.describe.configure({ mode: "serial" });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

async function noPageOverflow(page: Page, what: string) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${what}: page is ${scrollWidth}px wide in a ${innerWidth}px window`).toBeLessThanOrEqual(innerWidth);
}

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

let jobPath = "";

test("every page fits 390 px and is photographed at both widths", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await page.goto("/login");
  await noPageOverflow(page, "/login");
  await shoot(page, "login-390");
  await login(page, ADMIN, demoSecrets().adminPassword);

  // A job to look at: a dump backup started from the page.
  await page.goto("/apps/shop");
  const form = page.getByRole("form", { name: "Back up now" });
  await form.getByLabel("Method").selectOption("dump");
  await form.getByRole("button", { name: "Back up now" }).click();
  await expect(page.getByTestId("job-progress").first()).toHaveAttribute("data-status", "ok", { timeout: 90_000 });
  await page.reload();
  jobPath = (await page.getByRole("link", { name: /^#\d+ backup/ }).first().getAttribute("href"))!;
  expect(jobPath).toMatch(/^\/apps\/shop\/jobs\/\d+$/);

  const pages = ["/apps", "/apps/shop", "/apps/shop/releases", "/apps/shop/settings", "/apps/new", jobPath, "/audit", "/users", "/tokens", "/account"];
  for (const path of pages) {
    const name = path.replace(/^\//, "").replace(/\//g, "_").replace(/_\d+$/, "");
    await page.setViewportSize(PHONE);
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeInViewport();
    await noPageOverflow(page, path);
    await shoot(page, `${name}-390`);
    await page.setViewportSize(DESKTOP);
    await shoot(page, `${name}-1440`);
    expect(await page.title(), `${path} has its own title`).not.toBe("Lifeboat");
  }
});

test("on a phone the backups table scrolls inside its box with a hint, and the restore command never widens it", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/apps/shop");
  const table = page.getByRole("table", { name: "Backups" });
  await expect(table).toBeVisible();
  await expect(page.getByTestId("scroll-hint").first()).toBeVisible();
  const row = page.getByTestId("backup-row").filter({ has: page.getByRole("link", { name: /Manual restore command/ }) }).first();
  // The row's actions sit beside the name: on screen without scrolling the table sideways.
  const pin = row.getByRole("button", { name: "Pin" });
  await pin.scrollIntoViewIfNeeded();
  const box = (await pin.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
  expect(await table.evaluate((t) => t.parentElement!.scrollLeft)).toBe(0);
  // The command lives on the backup's own page, where it wraps inside the page instead of widening a table.
  await row.getByRole("link", { name: /Manual restore command/ }).click();
  await expect(page).toHaveURL(/\/apps\/shop\/backups\/\d+$/);
  await expect(page.locator("pre")).toContainText(/pg_restore|psql/);
  await expect(page.getByRole("button", { name: "Copy" })).toBeVisible();
  await noPageOverflow(page, "backup page with the restore command");
  await shoot(page, "apps_shop_backups-390");
  await page.setViewportSize(DESKTOP);
  await shoot(page, "apps_shop_backups-1440");
});

test("dialogs work from the keyboard: open, Tab stays inside, Esc closes, focus returns; they fit a phone", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/apps/shop");
  const opener = page.getByRole("button", { name: "Roll back…" });
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAccessibleName(/Roll shop back/);
  await expect(dialog.getByRole("region", { name: "Plan" }).locator("li").first()).toBeVisible();
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    expect(await dialog.evaluate((d) => d.contains(document.activeElement)), `Tab #${i + 1} left the dialog`).toBe(true);
  }
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Shift+Tab");
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  // It fits: nothing inside is wider than the dialog, and Cancel can be reached.
  const box = await dialog.boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
  expect(await dialog.evaluate((d) => d.scrollWidth <= d.clientWidth)).toBe(true);
  await dialog.getByRole("button", { name: "Cancel" }).scrollIntoViewIfNeeded();
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeInViewport();
  await shoot(page, "rollback-dialog-390");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  // A dialog opened from a table row: left-aligned text, Esc closes it, focus goes back to the row's button.
  const del = page.getByTestId("backup-row").first().getByRole("button", { name: "Delete…" });
  await del.focus();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("textbox")).toBeFocused();
  expect(await dialog.evaluate((d) => getComputedStyle(d).textAlign)).toMatch(/left|start/);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(del).toBeFocused();
});

import fs from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, addUser, demoSecrets, login } from "./fixtures";

// Issue 7 findings 10 and 11 in a real browser: security headers and a CSP that does not break the pages, a
// real 403, releases with invalid names and a current pointing outside releases/.
test.describe.configure({ mode: "serial" });

const ROOT = path.resolve(".lifeboat/e2e/apps/shop");

/** Collects CSP violations and uncaught errors; Chromium reports blocked scripts and styles on the console. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

async function shoot(page: Page, name: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `test-results/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("every page carries the security headers, and the CSP breaks nothing", async ({ page }) => {
  const problems = watchConsole(page);
  const login1 = await page.goto("/login");
  const h = login1!.headers();
  expect(h["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("same-origin");
  await login(page, ADMIN, demoSecrets().adminPassword);
  for (const url of ["/apps", "/apps/shop", "/apps/shop/releases", "/apps/shop/settings", "/apps/new", "/audit"]) {
    const res = await page.goto(url);
    expect(res!.status(), url).toBe(200);
    expect(res!.headers()["content-security-policy"], url).toContain("'nonce-");
    await expect(page.locator("main")).toBeVisible();
  }
  // Hydrated: a client-only dialog opens (nothing but React state drives it).
  await page.goto("/apps/shop/releases");
  await page.getByRole("button", { name: "Roll back…" }).click();
  await expect(page.getByRole("dialog").getByRole("region", { name: "Plan" }).locator("li").first()).toBeVisible();
  const api = await page.request.get("/api/apps");
  expect(api.headers()["content-security-policy"]).toContain("default-src 'none'");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
  expect(problems).toEqual([]);
});

test("a viewer gets a real 403 page on admin-only pages", async ({ page }) => {
  const email = "viewer-403@example.com";
  await login(page, email, addUser(email, "viewer"));
  for (const url of ["/apps/new", "/apps/shop/settings"]) {
    const res = await page.goto(url);
    expect(res!.status(), url).toBe(403);
    await expect(page.getByTestId("forbidden")).toContainText("Viewer");
  }
  await shoot(page, "forbidden");
});

test("settings refuse a file as backups directory and a changed host without the password", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/apps/shop/settings");
  await page.getByLabel("Backups directory", { exact: true }).fill("/etc/passwd");
  await page.getByLabel("Host", { exact: true }).fill("127.0.0.2");
  await page.getByRole("button", { name: "Test connection only" }).click();
  // The field errors, beside their fields (the summary above the buttons repeats them).
  await expect(page.getByText("/etc/passwd is a file. The backups directory must be a directory.", { exact: true })).toBeVisible();
  await expect(page.getByText(/^Type the password again/)).toBeVisible();
  await shoot(page, "settings-refused");

  // A new app named like a page, on PostgreSQL's own database: refused field by field, nothing registered.
  await page.goto("/apps/new");
  await page.getByLabel("Name", { exact: true }).fill("new");
  await page.getByLabel("Host", { exact: true }).fill("127.0.0.1");
  await page.getByLabel("User", { exact: true }).fill("someone");
  await page.getByLabel("Database name", { exact: true }).fill("template1");
  await page.getByLabel("Backups directory", { exact: true }).fill(path.join(ROOT, "backups"));
  await page.getByRole("button", { name: "Test connection and save" }).click();
  await expect(page.getByText(/^"new" is reserved/)).toBeVisible();
  await expect(page.getByText(/^template1 is a PostgreSQL system database/)).toBeVisible();
  await shoot(page, "new-app-refused");
});

test("an invalid release name is listed as invalid and never the default target; an outside current is repaired", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  const releases = path.join(ROOT, "releases");
  const currentName = path.basename(fs.readlinkSync(path.join(ROOT, "current")));
  const names = fs.readdirSync(releases).sort();
  const older = names.filter((n) => n < currentName);
  const expectedDefault = older[older.length - 1]!;
  // Newer than every older release (its marker is the newest but current's): before the fix, the default.
  const bad = path.join(releases, "r 9 hotfix");
  fs.mkdirSync(bad, { recursive: true });
  fs.writeFileSync(path.join(bad, ".lifeboat-release-complete"), "");
  const between = new Date(fs.statSync(path.join(releases, currentName, ".lifeboat-release-complete")).mtime.getTime() - 1000);
  fs.utimesSync(path.join(bad, ".lifeboat-release-complete"), between, between);
  try {
    await page.goto("/apps/shop/releases");
    const badRow = page.locator('[data-testid="release-row"][data-valid="false"]');
    await expect(badRow).toContainText("r 9 hotfix");
    await expect(badRow).toContainText("invalid name");
    await expect(badRow.getByRole("button")).toHaveCount(0);
    await page.getByRole("button", { name: "Roll back…" }).click();
    await expect(page.getByRole("dialog").getByLabel("Target release")).toHaveValue(expectedDefault);
    await page.getByRole("dialog").getByLabel("Close").click();
    await shoot(page, "releases-invalid");

    // current → a directory outside releases/: an unknown target, no rollback offered, a repair.
    fs.rmSync(path.join(ROOT, "current"));
    fs.symlinkSync("bin", path.join(ROOT, "current"));
    await page.goto("/apps/shop/releases");
    await expect(page.getByTestId("unknown-current")).toContainText("unknown target");
    await expect(page.getByTestId("current-link")).toContainText("unknown target (bin)");
    await expect(page.locator('[data-current="true"]')).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Roll back…" })).toHaveCount(0);
    await shoot(page, "releases-unknown-current");
    await page.getByLabel("Point current at").selectOption(currentName);
    await page.getByRole("button", { name: "Repair current…" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.getByRole("region", { name: "Plan" }).locator("li").first()).toBeVisible();
    await dialog.getByLabel("Type the app name to confirm").fill("shop");
    await dialog.getByTestId("confirm-change").click();
    await expect(dialog.getByTestId("job-progress")).toHaveAttribute("data-status", "ok", { timeout: 120_000 });
    expect(fs.readlinkSync(path.join(ROOT, "current"))).toBe(`releases/${currentName}`);
  } finally {
    fs.rmSync(bad, { recursive: true, force: true });
    if (!fs.readlinkSync(path.join(ROOT, "current")).startsWith("releases/")) {
      fs.rmSync(path.join(ROOT, "current"));
      fs.symlinkSync(`releases/${currentName}`, path.join(ROOT, "current"));
    }
  }
});

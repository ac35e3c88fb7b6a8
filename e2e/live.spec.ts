import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { expect, test } from "@playwright/test";
import { ADMIN, demoAppState, demoSecrets, login, metaUrl } from "./fixtures";

// Live pages and the health policy, against the demo: what the CLI starts shows on an open page without a
// reload; a switch to a release whose health check fails is undone automatically; the default rollback
// target then skips it.
test.describe.configure({ mode: "serial" });

const DEPLOY_ROOT = path.resolve(".lifeboat/e2e/apps/shop");

function cli(args: string[]): Promise<{ code: number; out: string }> {
  const s = demoSecrets();
  return new Promise((resolve) => {
    execFile(
      "node_modules/.bin/tsx",
      ["--conditions=react-server", "scripts/cli.ts", ...args],
      { env: { ...process.env, DATABASE_URL: metaUrl(), AUTH_SECRET: s.authSecret, LIFEBOAT_SECRET_KEY: s.secretKey } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** A copy of the newest release whose /health answers 500, deployed (complete) but not current, just older than current. */
function deployUnhealthyRelease(): { name: string; current: string } {
  const releases = path.join(DEPLOY_ROOT, "releases");
  const current = path.basename(fs.realpathSync(path.join(DEPLOY_ROOT, "current")));
  const name = "20261115T090000Z";
  const dir = path.join(releases, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(releases, current), dir, { recursive: true });
  const server = path.join(dir, "server.mjs");
  fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace("const UNHEALTHY = false;", "const UNHEALTHY = true;"));
  // Deployed just before current (releases sort by their completeness marker's time): the release right
  // below current, which "Roll back…" would pre-select if it did not know it failed.
  const currentDone = fs.statSync(path.join(releases, current, ".lifeboat-release-complete")).mtime;
  const t = new Date(currentDone.getTime() - 10_000);
  for (const f of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, f), t, t);
  fs.utimesSync(dir, t, t);
  return { name, current };
}

// The unhealthy copy is this file's own: later specs see the demo's releases as they were.
test.afterAll(() => {
  fs.rmSync(path.join(DEPLOY_ROOT, "releases", "20261115T090000Z"), { recursive: true, force: true });
});

test("a backup started by the CLI appears on an open app page without a reload", async ({ page }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/apps/shop");
  const rows = page.getByTestId("backup-row");
  const before = await rows.count();
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  const okRows = page.locator('[data-testid="backup-row"][data-status="ok"]');
  const okBefore = await okRows.count();
  const run = cli(["backup", "shop", "--method", "dump"]);
  await expect(rows).toHaveCount(before + 1, { timeout: 30_000 });
  const { code, out } = await run;
  expect(code, out).toBe(0);
  await expect(okRows).toHaveCount(okBefore + 1, { timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
});

test("a switch that fails its health check is undone automatically; the default target is then the last healthy release", async ({ page }) => {
  const { name: bad, current } = deployUnhealthyRelease();
  const meta = postgres(metaUrl(), { max: 1, onnotice: () => {} });
  await meta`UPDATE apps SET health_timeout_sec = 3, health_policy = 'undo' WHERE slug = 'shop'`;
  await meta.end();
  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/apps/shop/releases");
  await page.locator('[data-testid="release-row"]').filter({ hasText: bad }).getByRole("button", { name: "Switch to this release" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("region", { name: "Plan" }).locator("li").first()).toBeVisible();
  await dialog.getByLabel("Type the app name to confirm").fill("shop");
  await dialog.getByTestId("confirm-change").click();
  await expect(dialog.getByTestId("job-progress")).toHaveAttribute("data-status", "failed", { timeout: 90_000 });
  await expect(dialog.getByText(/Health policy of shop: undo/).first()).toBeVisible();
  await dialog.getByRole("button", { name: "Close" }).last().click();

  // The worker undoes it; the open page follows without a reload.
  await expect(page.getByTestId("current-link")).toContainText(`current → ${current}`, { timeout: 60_000 });
  const badRow = page.locator('[data-testid="release-row"]').filter({ hasText: bad });
  await expect(badRow.getByTestId("release-unhealthy")).toBeVisible({ timeout: 30_000 });
  await expect(badRow.getByTestId("release-history")).toContainText("failed its health check");
  // current moves before the undo starts the app again: wait for the app itself.
  await expect.poll(() => demoAppState().then((s) => s.release).catch(() => null), { timeout: 60_000 }).toBe(current);

  // "Roll back…" never pre-selects the release that just failed.
  await page.getByRole("button", { name: "Roll back…" }).first().click();
  const target = page.getByRole("dialog").getByRole("combobox").first();
  const chosen = await target.inputValue();
  expect(chosen).not.toBe(bad);
  expect(chosen).not.toBe(current);
  // The release right below it in the list is the one that failed; the default skips it.
  const order = await page.locator('[data-testid="release-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-release") ?? ""));
  expect(order.slice(0, 2)).toEqual([current, bad]);
  expect(order).toContain(chosen);
  await page.screenshot({ path: "test-results/live-default-target.png", fullPage: true });
});

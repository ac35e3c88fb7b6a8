import { expect, test, type Page } from "@playwright/test";
import { ADMIN, demoSecrets, login } from "./fixtures";

test.describe.configure({ mode: "serial" });

async function secretShown(page: Page): Promise<string> {
  const secret = page.getByTestId("one-time-secret");
  await expect(secret).toBeVisible();
  return (await secret.textContent())!.trim();
}

test("admin adds a user and an API token; the token works until revoked", async ({ page, browser }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);

  // A user with a role; the generated password is shown once and works.
  await page.getByRole("link", { name: "Users" }).click();
  const add = page.getByRole("form", { name: "Add a user" });
  await add.getByLabel("Email").fill("dana@example.com");
  await add.getByLabel("Role").selectOption("operator");
  await add.getByRole("button", { name: "Add user" }).click();
  const password = await secretShown(page);
  await expect(page.getByTestId("user-dana@example.com")).toContainText("Operator");
  const dana = await browser.newContext();
  const danaPage = await dana.newPage();
  await login(danaPage, "dana@example.com", password);
  await expect(danaPage.getByRole("link", { name: "Users" })).toHaveCount(0);

  // A token, shown once; it works on the API.
  await page.getByRole("link", { name: "Tokens" }).click();
  const create = page.getByRole("form", { name: "Create an API token" });
  await create.getByLabel("Name").fill("e2e-ci");
  await create.getByLabel("Role").selectOption("viewer");
  await create.getByLabel("Expires after").selectOption("30");
  await create.getByRole("button", { name: "Create token" }).click();
  const token = await secretShown(page);
  expect(token).toMatch(/^lb_/);
  const withToken = { headers: { authorization: `Bearer ${token}` } };
  expect((await page.context().request.fetch("/api/apps", { ...withToken, failOnStatusCode: false })).status()).toBe(200);

  // Revoked: refused from the next request on, with a reason.
  await page.reload();
  const row = page.getByTestId("token-e2e-ci");
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: "Revoke…" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel(/to confirm/).fill("e2e-ci");
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(row).toContainText("Revoked");
  const refused = await page.context().request.fetch("/api/apps", { ...withToken, failOnStatusCode: false });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).message).toMatch(/revoked/);
  await dana.close();
});

test("a session cookie copied before sign-out is refused after it", async ({ page, browser }) => {
  await login(page, ADMIN, demoSecrets().adminPassword);
  const copied = await page.context().cookies();
  expect(copied.some((c) => c.name.includes("session-token"))).toBe(true);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  // Someone who kept the cookie: the dashboard sends them to sign in, the API answers 401.
  const thief = await browser.newContext();
  await thief.addCookies(copied);
  const thiefPage = await thief.newPage();
  await thiefPage.goto("/apps");
  await expect(thiefPage).toHaveURL(/\/login/);
  const res = await thief.request.fetch("/api/apps", { failOnStatusCode: false });
  expect(res.status()).toBe(401);
  await thief.close();
});

test("sign-ins through Auth.js's own callback are audited, and a hostile next stays on the site", async ({ page }) => {
  const csrf = await (await page.request.get("/api/auth/csrf")).json();
  const callback = await page.request.post("/api/auth/callback/credentials", {
    form: { csrfToken: csrf.csrfToken, email: "mallory@example.com", password: "not-a-password-anyone-has" },
    maxRedirects: 0,
    failOnStatusCode: false,
  });
  expect([302, 303]).toContain(callback.status());

  await page.goto(`/login?next=${encodeURIComponent("/\t/evil.example/x")}`);
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(demoSecrets().adminPassword);
  await page.getByRole("button", { name: /sign in/i }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/apps$/);

  await page.goto("/audit?action=auth.credentials");
  await expect(page.getByText(/refused: unknown_email \(auth callback\)/).first()).toBeVisible();
  // A form sign-in is one entry (the form's action, with the client in it), not a second auth.credentials one.
  await expect(page.getByText(/\(sign-in form\)/)).toHaveCount(0);
  await page.goto("/audit?action=auth.sign_in");
  await expect(page.getByText(/client [0-9a-f.:]+, (new|known) device · signed in/).first()).toBeVisible();
});

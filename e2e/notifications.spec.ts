import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { verifySignature } from "../lib/notify/sign";
import { ADMIN, demoSecrets, login } from "./fixtures";

// Issue 9: an admin adds a signed webhook channel and a rule on a phone-width page, sends a test through the
// demo's worker to a receiver started here, and the page never shows (or ships) the URL's secret parts or the
// signing secret.

const PHONE = { width: 390, height: 844 };
const SECRET = "e2e-signing-secret-0123456789";

test("Notifications: add a webhook and a rule, send a test, see it delivered and signed; no secret in the page", async ({ page }) => {
  const got: { headers: http.IncomingHttpHeaders; body: string; url?: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body, url: req.url });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    await page.setViewportSize(PHONE);
    await login(page, ADMIN, demoSecrets().adminPassword);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Notifications" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();

    const add = page.getByRole("form", { name: "Add a channel" });
    await add.getByLabel("Name").fill("e2e hook");
    await add.getByLabel("URL").fill(`http://127.0.0.1:${port}/hook/secret-path-e2e?token=tok-e2e`);
    await add.getByLabel("Signing secret").fill(SECRET);
    await add.getByRole("button", { name: "Add channel" }).click();
    await expect(page.getByText("Channel “e2e hook” added")).toBeVisible();

    const rule = page.getByRole("form", { name: "Add a rule" });
    await rule.getByLabel("Event").selectOption("backup.failed");
    await rule.getByRole("button", { name: "Add rule" }).click();
    await expect(page.getByRole("list", { name: "Rules" })).toContainText("Backup failed of every app → e2e hook");

    const row = page.getByTestId("channel-e2e hook");
    await row.getByRole("button", { name: "Send a test" }).click();
    await expect(row.getByText("Queued: a worker sends it")).toBeVisible();
    await expect.poll(() => got.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const r = got[0]!;
    expect(verifySignature({ secret: SECRET, timestamp: r.headers["x-lifeboat-timestamp"] as string, body: r.body, signature: r.headers["x-lifeboat-signature"] as string })).toBe(true);
    expect(JSON.parse(r.body)).toMatchObject({ kind: "test", summary: expect.stringContaining(ADMIN) });

    await expect(async () => {
      await page.reload();
      await expect(page.getByRole("table", { name: "Delivery log" })).toContainText("Delivered", { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await expect(page.getByRole("table", { name: "Channels" })).toContainText(`http://127.0.0.1:${port}/hook/secret-path-e2e?…`);
    const html = await page.content();
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain("tok-e2e");
    // Edit: a new URL; the signing secret field left blank keeps the secret. Then rotate it: shown once.
    await row.getByRole("button", { name: "Edit…" }).click();
    const edit = page.getByRole("dialog", { name: "Edit the channel “e2e hook”" });
    await edit.getByLabel("New URL").fill(`http://127.0.0.1:${port}/hook/edited?token=tok-edit-e2e`);
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect(edit).toBeHidden();
    await expect(page.getByRole("table", { name: "Channels" })).toContainText(`http://127.0.0.1:${port}/hook/edited?…`);
    await row.getByRole("button", { name: "Rotate secret…" }).click();
    const confirm = page.getByRole("dialog", { name: "New signing secret for “e2e hook”?" });
    await confirm.getByLabel(/to confirm/).fill("e2e hook");
    await confirm.getByRole("button", { name: "Make a new secret" }).click();
    const reveal = page.getByTestId("rotated-secret");
    const fresh = ((await reveal.getByTestId("one-time-secret").textContent()) ?? "").trim();
    expect(fresh).toMatch(/^[\w-]{40,}$/);
    await reveal.getByRole("button", { name: "Done" }).click();
    await expect(reveal).toBeHidden();
    const sent = got.length;
    await row.getByRole("button", { name: "Send a test" }).click();
    await expect.poll(() => got.length, { timeout: 30_000 }).toBeGreaterThan(sent);
    const r2 = got[sent]!;
    expect(r2.url).toBe("/hook/edited?token=tok-edit-e2e");
    const signed = (secret: string) => verifySignature({ secret, timestamp: r2.headers["x-lifeboat-timestamp"] as string, body: r2.body, signature: r2.headers["x-lifeboat-signature"] as string });
    expect(signed(fresh)).toBe(true);
    expect(signed(SECRET)).toBe(false);
    for (const s of [fresh, SECRET, "tok-edit-e2e"]) expect(await page.content()).not.toContain(s);

    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px window`).toBeLessThanOrEqual(innerWidth);
    await page.screenshot({ path: "test-results/screens/notifications-390.png", fullPage: true });
  } finally {
    server.close();
  }
});

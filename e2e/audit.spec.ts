import { expect, test } from "@playwright/test";
import { ADMIN, demoSecrets, login } from "./fixtures";

// The audit page against the real demo: refused anonymous calls are counted, not stored one by one; the
// hash chain is verified on the page; the CSV export is quoted and defused.
test("anonymous refusals show as one counted entry, the chain verifies, the CSV is defused", async ({ page, request }) => {
  const hostileApp = `=HYPERLINK("http://evil.example")${"x".repeat(5000)}`;
  for (let i = 0; i < 5; i++) {
    const res = await request.post(`/api/apps/${encodeURIComponent(hostileApp)}/backups`, { data: { method: "dump" } });
    expect(res.status()).toBe(401);
  }

  await login(page, ADMIN, demoSecrets().adminPassword);
  await page.goto("/audit?action=api.backups.start");
  const rows = page.locator('[data-testid="audit-row"][data-result="denied"]');
  await expect(rows).toHaveCount(2); // the first call, then "+4 similar"
  await expect(page.getByText(/\+4 similar refused requests/)).toBeVisible();
  expect(await page.content()).not.toContain("x".repeat(200));

  await page.goto("/audit");
  await expect(page.getByTestId("audit-chain")).toContainText(/Hash chain verified: \d+ rows, chain intact/);

  const csv = await page.request.get("/api/audit/export?action=api.backups.start");
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  const [header, ...lines] = text.trim().split("\r\n");
  expect(header).toBe('"id","time","actor","app","action","result","count","duration_ms","message","params"');
  expect(lines.length).toBe(2);
  expect(text).toContain(`"'=HYPERLINK(""http://evil.example"")`);
  expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
});

// The app page's backup reads against real PostgreSQL: paging and filters, the chart aggregate, and a "last
// good backup" that is never the pre-rollback copy holding the data just rolled away from (issue 8 item 12).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";

await useMetaDb();
const { closeDb, getDb } = await import("@/lib/db/client");
const { apps, backups } = await import("@/lib/db/schema");
const { backupSizeSeries, getLastGoodBackup, listBackupsPage, listRestorableBackups } = await import("./backup-pages");

let appId = 0;
const t0 = Date.UTC(2026, 10, 1);
const HOUR = 3600_000;

beforeAll(async () => {
  const [app] = await getDb().insert(apps).values({ slug: "paged", dbHost: "127.0.0.1", dbUser: "u", dbName: "paged", backupsDir: "/tmp/x" }).returning({ id: apps.id });
  appId = app!.id;
  // 120 dumps of ~1.5 MB, 10 clones of ~3 GB, a failed one, a labelled clone, and — newest — a pre-rollback copy.
  const rows = [
    ...Array.from({ length: 120 }, (_, i) => ({ name: `paged_${i}.dump`, method: "dump" as const, kind: "automatic" as const, status: "ok" as const, sizeBytes: 1_500_000 + i, createdAt: new Date(t0 + i * HOUR) })),
    ...Array.from({ length: 10 }, (_, i) => ({ name: `paged_clone_${i}`, method: "clone" as const, kind: "manual" as const, status: "ok" as const, sizeBytes: 3_000_000_000 + i, createdAt: new Date(t0 + i * 12 * HOUR) })),
    { name: "paged_failed.dump", method: "dump" as const, kind: "manual" as const, status: "failed" as const, sizeBytes: null, createdAt: new Date(t0 + 121 * HOUR) },
    { name: "paged_backup_20261106_000000", label: "v2.0.0", method: "clone" as const, kind: "named" as const, status: "ok" as const, sizeBytes: 3_100_000_000, createdAt: new Date(t0 + 122 * HOUR) },
    { name: "paged_pre_rollback_20261106_010000", method: "clone" as const, kind: "pre_rollback" as const, status: "ok" as const, sizeBytes: 3_200_000_000, createdAt: new Date(t0 + 123 * HOUR) },
  ];
  await getDb().insert(backups).values(rows.map((r) => ({ ...r, appId, createdBy: "test", release: null, jobId: null })));
});
afterAll(async () => {
  await closeDb();
});

describe("backup pages", () => {
  it("pages newest first, counts every match, and clamps a page past the end", async () => {
    const first = await listBackupsPage(appId, {}, 1, 25);
    expect(first.total).toBe(133);
    expect(first.pages).toBe(6);
    expect(first.rows).toHaveLength(25);
    expect(first.rows[0]!.kind).toBe("pre_rollback");
    const last = await listBackupsPage(appId, {}, 999, 25);
    expect(last.page).toBe(6);
    expect(last.rows).toHaveLength(133 - 5 * 25);
    const ids = new Set([...first.rows, ...last.rows].map((r) => r.id));
    expect(ids.size).toBe(first.rows.length + last.rows.length);
  });

  it("filters by status, method and by name or label (LIKE wildcards in the text are literal)", async () => {
    expect((await listBackupsPage(appId, { status: "failed" }, 1)).total).toBe(1);
    expect((await listBackupsPage(appId, { method: "clone" }, 1)).total).toBe(12);
    const named = await listBackupsPage(appId, { q: "v2.0" }, 1);
    expect(named.rows.map((r) => r.label)).toEqual(["v2.0.0"]);
    expect((await listBackupsPage(appId, { q: "%" }, 1)).total).toBe(0);
  });

  it("the last good backup is not the newer pre-rollback copy", async () => {
    const last = await getLastGoodBackup(appId);
    expect(last?.label).toBe("v2.0.0");
  });

  it("the restore picker is bounded, keeps older named backups, and carries the label", async () => {
    const newestOnly = await listRestorableBackups(appId, 50, 0);
    expect(newestOnly).toHaveLength(50);
    // The named one is the third newest: ask for the newest 1 and it still comes along as a kept one.
    const picker = await listRestorableBackups(appId, 1, 5);
    expect(picker.map((b) => b.kind)).toEqual(["pre_rollback", "named"]);
    expect(picker.some((b) => b.status === "failed")).toBe(false);
    expect(picker.find((b) => b.kind === "named")?.label).toBe("v2.0.0");
  });

  it("the chart aggregate has at most the asked slices per method and keeps each slice's largest size", async () => {
    const series = await backupSizeSeries(appId, 20);
    const dumps = series.filter((s) => s.method === "dump");
    const clones = series.filter((s) => s.method === "clone");
    expect(dumps.length).toBeLessThanOrEqual(20);
    expect(clones.length).toBeLessThanOrEqual(20);
    expect(dumps.reduce((n, s) => n + s.count, 0)).toBe(120);
    expect(clones.reduce((n, s) => n + s.count, 0)).toBe(12);
    expect(Math.max(...dumps.map((d) => d.maxBytes))).toBe(1_500_119);
    expect(Math.max(...clones.map((d) => d.maxBytes))).toBe(3_200_000_000);
  });

  // Last: it adds a row the counts above do not expect.
  it("a dump file found on disk is neither pickable nor the last good backup until it is adopted", async () => {
    const { eq } = await import("drizzle-orm");
    const [found] = await getDb()
      .insert(backups)
      .values({ appId, name: "db_backup_20261107_000000.sql", method: "dump", kind: "found", status: "ok", format: "plain", sizeBytes: 10_000, createdAt: new Date(t0 + 130 * HOUR), createdBy: "found on disk" })
      .returning({ id: backups.id });
    expect((await listRestorableBackups(appId, 5, 0)).map((b) => b.id)).not.toContain(found!.id);
    expect((await getLastGoodBackup(appId))?.label).toBe("v2.0.0");

    await getDb().update(backups).set({ adoptedAt: new Date(), sha256: "a".repeat(64) }).where(eq(backups.id, found!.id));
    expect((await listRestorableBackups(appId, 5, 0))[0]?.id).toBe(found!.id);
    expect((await getLastGoodBackup(appId))?.id).toBe(found!.id);
  });
});

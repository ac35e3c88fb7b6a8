import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { describeBackup } from "@/components/rollback/backup-picker";
import { pickerBackups } from "@/components/rollback/picker-backups";
import { seedShop } from "@/scripts/lib/seed-shop";
import { waitFor } from "@/test/fixtures/workers";
import { adminSql, createScratchDb, pg, queryRows, tmpDir, urlFor, useMetaDb } from "@/test/helpers";

vi.mock("@/lib/auth/session", () => ({ getSessionUser: async () => null, requireUser: async () => null }));

// A Lifeboat dump whose file left the backups directory, through the real refresh, verify and delete jobs,
// real pg_dump files moved away and back, and the queries the pages, pickers and retention read.

let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  pages: typeof import("@/lib/db/queries/backup-pages");
  client: typeof import("@/lib/db/client");
  jobs: typeof import("@/lib/jobs");
  admin: typeof import("@/lib/jobs/backup-admin");
  refresh: typeof import("@/lib/jobs/refresh");
  missing: typeof import("@/lib/jobs/missing-backups");
  download: typeof import("@/lib/jobs/backup-download");
  jobRows: typeof import("@/lib/db/queries/jobs");
  verifyRoute: typeof import("@/app/api/apps/[app]/backups/[id]/verify/route");
};
let db: string;
let operatorToken: string;
let elsewhere: string;
let metaUrl: string;

async function makeApp(slug: string, dumpFormat: "custom" | "directory") {
  const backupsDir = await tmpDir(`bk-${slug}`);
  const validation = await import("@/lib/validation/apps");
  const input = validation.appFormSchema.parse({ slug, url: urlFor(db), backupsDir, dumpFormat, retention: "5" });
  const id = await mods.apps.createApp(input, { serverVersion: "15", serverVersionNum: pg().major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
  return (await mods.apps.getAppById(id))!;
}

async function dump(app: Awaited<ReturnType<typeof makeApp>>) {
  const { done } = await mods.jobs.startBackup({ app, method: "dump", automatic: true, actor: "test" });
  const outcome = await done;
  expect(outcome.status, outcome.error?.message).toBe("ok");
  return (await mods.backups.getBackup(app.id, (outcome.result as { backupId: number }).backupId))!;
}

const row = async (appId: number, id: number) => (await mods.backups.getBackup(appId, id))!;

async function verify(app: Awaited<ReturnType<typeof makeApp>>, id: number) {
  const { done } = await mods.admin.startVerify(app, id, "test");
  return done;
}

beforeAll(async () => {
  metaUrl = await useMetaDb();
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    pages: await import("@/lib/db/queries/backup-pages"),
    client: await import("@/lib/db/client"),
    jobs: await import("@/lib/jobs"),
    admin: await import("@/lib/jobs/backup-admin"),
    refresh: await import("@/lib/jobs/refresh"),
    missing: await import("@/lib/jobs/missing-backups"),
    download: await import("@/lib/jobs/backup-download"),
    jobRows: await import("@/lib/db/queries/jobs"),
    verifyRoute: await import("@/app/api/apps/[app]/backups/[id]/verify/route"),
  };
  const { createUser } = await import("@/lib/db/queries/users");
  const { createApiToken } = await import("@/lib/auth/api-auth");
  const operator = await createUser({ email: "op@example.com", password: "operator-password-1", role: "operator" });
  operatorToken = (await createApiToken(operator.id, "verify")).token;
  db = await createScratchDb("shopmiss");
  const sql = adminSql(db);
  await seedShop(sql, { customers: 20, orders: 40 });
  await sql.end();
  elsewhere = await tmpDir("moved-away");
});

afterAll(async () => {
  await mods?.client.closeDb();
});

describe("a dump whose file is gone", () => {
  it("becomes missing on refresh, is no longer good anywhere, and Verify of the file put back makes it ok", async () => {
    const app = await makeApp("shop-miss", "custom");
    const kept = await dump(app);
    const gone = await dump(app);
    const file = path.join(app.backupsDir, gone.name);
    const away = path.join(elsewhere, gone.name);
    await fs.rename(file, away);
    // A backup still being written (its .partial in flight, no file yet) is left alone.
    const running = await mods.backups.insertBackup({ appId: app.id, name: "db_backup_inflight.dump", method: "dump", kind: "manual", format: "custom", createdBy: "t", release: null, jobId: null });

    await mods.refresh.refreshApp(app.id);
    const missing = await row(app.id, gone.id);
    expect(missing.status).toBe("missing");
    expect(missing.error).toContain(`file not found in ${app.backupsDir} at `);
    expect(missing.verifiedAt).toBeNull();
    expect((await row(app.id, kept.id)).status).toBe("ok");
    expect((await row(app.id, running)).status).toBe("running");
    await expect(fs.access(away)).resolves.toBeUndefined();
    // Said once, when marked: a second refresh finds it missing already.
    await mods.refresh.refreshApp(app.id);
    const events = await queryRows<{ summary: string }>(metaUrl, `SELECT summary FROM app_events WHERE app_id = ${app.id} AND kind = 'backup.missing'`);
    expect(events.map((e) => e.summary)).toEqual([`shop-miss: the file of backup ${gone.name} is no longer in ${app.backupsDir}; it is not restorable until put back and verified.`]);

    // Not "good": not the last good backup, listed in the restore picker but not selectable (it says why),
    // refused by download and by a restore with the reason.
    expect((await mods.pages.getLastGoodBackup(app.id))?.id).toBe(kept.id);
    const picker = pickerBackups(await mods.pages.listRestorableBackups(app.id));
    expect(picker.find((b) => b.id === gone.id)?.unusable).toBe("missing");
    expect(describeBackup(picker.find((b) => b.id === gone.id)!)).toMatch(/^⚠ FILE MISSING \(put it back, then Verify\) — /);
    expect(picker.find((b) => b.id === kept.id)?.unusable).toBeNull();
    await expect(mods.download.openBackupDownload(app.slug, gone.id, "test")).rejects.toMatchObject({ code: "missing_file", message: expect.stringContaining("press Verify") });
    await expect(mods.jobs.startRestore({ app, backupId: gone.id, actor: "test" })).rejects.toMatchObject({ code: "missing_file" });

    // Verify while the file is still away: stays missing and says where to put it.
    const still = await verify(app, gone.id);
    expect(still.status).toBe("failed");
    expect((await row(app.id, gone.id)).status).toBe("missing");

    // Put back, then verified by a pipeline or a shell without the dashboard: the API (and `lifeboat verify`).
    await fs.rename(away, file);
    const res = await mods.verifyRoute.POST(
      new Request(`http://lifeboat.test/api/apps/${app.slug}/backups/${gone.id}/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
        body: "{}",
      }),
      { params: Promise.resolve({ app: app.slug, id: String(gone.id) }) },
    );
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { jobId: number; poll: string } };
    expect(data.poll).toBe(`/api/apps/${app.slug}/jobs/${data.jobId}`);
    await waitFor(async () => ["ok", "failed"].includes((await mods.jobRows.getJob(data.jobId))?.status ?? ""), 60_000, () => `verify job #${data.jobId} did not end`);
    const back = (await mods.jobRows.getJob(data.jobId))!;
    expect(back.status, back.error ?? "").toBe("ok");
    const ok = await row(app.id, gone.id);
    expect(ok).toMatchObject({ status: "ok", error: null });
    expect(ok.verifiedAt).not.toBeNull();
    expect((await mods.pages.getLastGoodBackup(app.id))?.id).toBe(gone.id);
  });

  it("a changed file put back is tampered, not ok", async () => {
    const app = await makeApp("shop-miss-tamper", "custom");
    const b = await dump(app);
    const file = path.join(app.backupsDir, b.name);
    await fs.rename(file, path.join(elsewhere, b.name));
    await mods.refresh.refreshApp(app.id);
    expect((await row(app.id, b.id)).status).toBe("missing");
    await fs.writeFile(file, "PGDMP not the bytes Lifeboat wrote");
    const v = await verify(app, b.id);
    expect(v.status).toBe("failed");
    expect((await row(app.id, b.id)).status).toBe("tampered");
  });

  it("a directory-format dump whose folder is gone becomes missing; its row can still be deleted", async () => {
    const app = await makeApp("shop-miss-dir", "directory");
    const b = await dump(app);
    expect(b.name).toMatch(/\.dir$/);
    await fs.rename(path.join(app.backupsDir, b.name), path.join(elsewhere, b.name));
    await mods.refresh.refreshApp(app.id);
    expect((await row(app.id, b.id)).status).toBe("missing");
    await mods.admin.deleteBackup(app, b.id, b.name, "test");
    expect(await mods.backups.getBackup(app.id, b.id)).toBeUndefined();
  });

  it("a changed backups directory: the settings warning counts the dumps left behind, and refresh marks them missing", async () => {
    const app = await makeApp("shop-miss-move", "custom");
    await dump(app);
    await dump(app);
    const newDir = await tmpDir("bk-new");
    expect(await mods.missing.backupsDirChangeWarning(app, app.backupsDir)).toBeUndefined();
    expect(await mods.missing.backupsDirChangeWarning(app, newDir)).toBe(
      `2 backups recorded in ${app.backupsDir} will show as missing unless you move them to ${newDir} too (then press Verify on each).`,
    );
    const validation = await import("@/lib/validation/apps");
    await mods.apps.updateApp(app.id, validation.appFormSchema.parse({ slug: app.slug, url: urlFor(db), backupsDir: newDir, retention: "5" }), {
      serverVersion: "15", serverVersionNum: pg().major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0,
    });
    await mods.refresh.refreshApp(app.id);
    const rows = await mods.backups.listBackups(app.id);
    expect(rows.map((r) => r.status)).toEqual(["missing", "missing"]);
    expect((await mods.apps.listAppsWithStatus()).find((a) => a.id === app.id)?.lastOkBackupAt).toBeNull();
    // Retention does not count them as kept copies: a new automatic dump prunes none of the good ones it sees.
    const { planRetention } = await import("@/lib/ops/retention");
    const items = await mods.backups.listForRetention(app.id);
    expect(planRetention(items, 1, { triggeredByAdmin: true })).toEqual([]);
  });
});
